import type { Identifier } from '../acme/types.js'

/** The challenge types Gatehouse can solve (RFC 8555 §8.3, §8.4; RFC 8737). */
export type ChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01'

export const CHALLENGE_TYPES: readonly ChallengeType[] = ['http-01', 'tls-alpn-01', 'dns-01']

/** What a solver needs to answer one challenge. */
export interface ChallengeContext {
  readonly identifier: Identifier
  /** True when the authorization is for a wildcard (`*.` was stripped from `identifier.value`). */
  readonly wildcard: boolean
  readonly token: string
  /** RFC 8555 §8.1: `token || '.' || base64url(JWK thumbprint)`. */
  readonly keyAuthorization: string
  /** RFC 8555 §8.4: base64url(SHA-256(keyAuthorization)), the DNS-01 TXT value. */
  readonly dnsValue: string
}

/**
 * Makes the answer to one challenge type available to the CA.
 *
 * Contract:
 * - `present` makes the answer visible and returns; it must not wait for the CA.
 * - `wait`, when present, resolves once the answer is observable from outside (e.g. DNS propagation);
 *   the CA is only told to validate after it resolves.
 * - `cleanup` removes the answer. It is called once for every `present` that was started, whether the
 *   challenge succeeded or not, and must not throw for an answer that was never fully presented.
 * - Several challenges can be presented at once (a certificate for many names); a solver must keep
 *   them apart by token / name.
 * - All methods honour the signal.
 */
export interface ChallengeSolver {
  readonly type: ChallengeType
  present(challenge: ChallengeContext, options?: { signal?: AbortSignal }): Promise<void>
  wait?(challenge: ChallengeContext, options?: { signal?: AbortSignal }): Promise<void>
  cleanup(challenge: ChallengeContext, options?: { signal?: AbortSignal }): Promise<void>
}
