/**
 * RFC 8555 resource objects as the server sends them. Field names follow the RFC; optional fields are
 * optional here. Only what Gatehouse reads is typed strictly; unknown fields are kept by `JSON.parse`.
 */

/** RFC 8555 §9.7.7 plus RFC 8738 (`ip`). */
export type IdentifierType = 'dns' | 'ip'

/** RFC 8555 §7.1.3/§7.1.4: `{ type: "dns", value: "example.com" }` or `{ type: "ip", value: "192.0.2.1" }`. */
export interface Identifier {
  type: IdentifierType
  value: string
}

/** RFC 8555 §7.1.1, with ARI (RFC 9773 §3) and profiles (draft-ietf-acme-profiles §3). */
export interface Directory {
  newNonce: string
  newAccount: string
  newOrder: string
  newAuthz?: string
  revokeCert: string
  keyChange: string
  /** RFC 9773 §3: present when the CA offers ARI. */
  renewalInfo?: string
  meta?: DirectoryMeta
}

export interface DirectoryMeta {
  termsOfService?: string
  website?: string
  caaIdentities?: string[]
  externalAccountRequired?: boolean
  /** draft-ietf-acme-profiles §3: profile name → human description. */
  profiles?: Record<string, string>
}

/** RFC 8555 §7.1.2. */
export interface AccountResource {
  status: 'valid' | 'deactivated' | 'revoked'
  contact?: string[]
  termsOfServiceAgreed?: boolean
  orders?: string
  externalAccountBinding?: unknown
}

/** RFC 8555 §7.1.3. */
export interface OrderResource {
  status: 'pending' | 'ready' | 'processing' | 'valid' | 'invalid'
  expires?: string
  identifiers: Identifier[]
  notBefore?: string
  notAfter?: string
  error?: Problem
  authorizations: string[]
  finalize: string
  certificate?: string
  /** draft-ietf-acme-profiles §4. */
  profile?: string
  /** RFC 9773 §5. */
  replaces?: string
}

/** RFC 8555 §7.1.4. */
export interface AuthorizationResource {
  identifier: Identifier
  status: 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked'
  expires?: string
  challenges: ChallengeResource[]
  wildcard?: boolean
}

/** RFC 8555 §7.1.5 and §8. */
export interface ChallengeResource {
  type: string
  url: string
  status: 'pending' | 'processing' | 'valid' | 'invalid'
  token?: string
  validated?: string
  error?: Problem
}

/** RFC 7807 problem document as used by RFC 8555 §6.7. */
export interface Problem {
  type: string
  detail?: string
  status?: number
  instance?: string
  /** RFC 8555 §6.7.1. */
  subproblems?: Subproblem[]
  /** Boulder adds this to `rateLimited` problems in some versions; kept when present. */
  [extra: string]: unknown
}

/** RFC 8555 §6.7.1. */
export interface Subproblem {
  type: string
  detail?: string
  identifier?: Identifier
}

/** RFC 9773 §4.2. */
export interface RenewalInfo {
  suggestedWindow: { start: string; end: string }
  explanationURL?: string
}

/** A resource together with its URL (the `Location` header, or the URL it was fetched from). */
export interface Located<T> {
  url: string
  body: T
}
