import type { AcmeSession, CallOptions } from './session.js'
import type { AuthorizationResource, ChallengeResource, Located } from './types.js'

/** RFC 8555 §7.1.6: an authorization in any of these states will not change again. */
const AUTHZ_FINAL = new Set(['valid', 'invalid', 'deactivated', 'expired', 'revoked'])

/** RFC 8555 §7.5.1: the empty object `{}` (not POST-as-GET) tells the CA to validate now. */
export function acceptChallenge(
  s: AcmeSession,
  url: string,
  options: CallOptions,
): Promise<Located<ChallengeResource>> {
  return s.postResource<ChallengeResource>(url, {}, options)
}

/** RFC 8555 §7.5.2: gives up an authorization, e.g. one this account will never complete. */
export function deactivateAuthorization(
  s: AcmeSession,
  url: string,
  options: CallOptions,
): Promise<Located<AuthorizationResource>> {
  return s.postResource<AuthorizationResource>(url, { status: 'deactivated' }, options)
}

/** Polls an authorization until it is no longer `pending` (RFC 8555 §7.5.1). */
export function waitForAuthorization(
  s: AcmeSession,
  url: string,
  options: CallOptions,
): Promise<Located<AuthorizationResource>> {
  return s.poll<AuthorizationResource>(`authorization ${url}`, url, options, (a) =>
    AUTHZ_FINAL.has(a.status),
  )
}
