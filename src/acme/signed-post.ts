import type { KeyObject } from 'node:crypto'
import type { Clock } from '../clock.js'
import { throwIfAborted } from '../errors.js'
import type { AcmeHttp, AcmeResponse } from './http.js'
import { signJws } from './jws.js'
import type { NoncePool } from './nonce-pool.js'
import { AcmeProblemError } from './problem.js'

/**
 * RFC 8555 §6.5: a `badNonce` answer is retried with a fresh nonce at most this many times. Ten, not a
 * handful: a server rejecting half its nonces (Pebble at nonceReject 50) must still finish an order of
 * a dozen requests almost surely (0.5^11 per request).
 */
export const MAX_BAD_NONCE_RETRIES = 10
/** `rateLimited` or 503 answers are waited out (per their `Retry-After`) at most this many times. */
export const MAX_RATE_LIMIT_RETRIES = 3
/** Default longest single `Retry-After` wait; a server asking for more gets its error thrown at once. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000

/** What a signed POST needs from its client. */
export interface SignedPostContext {
  http: AcmeHttp
  nonces: NoncePool
  clock: Clock
  /** Longest `Retry-After` wait per retry, in ms. */
  maxRetryAfterMs: number
}

export interface SignedPostOptions {
  /** The signing key: the account key, or a certificate key for revocation (RFC 8555 §7.6). */
  key: KeyObject
  /** The account URL; without it the JWS carries the public key as `jwk` (RFC 8555 §6.2). */
  kid?: string | undefined
  accept?: string
  signal?: AbortSignal | undefined
}

/**
 * Sends a JWS-signed POST (RFC 8555 §6.2). `payload` `undefined` is POST-as-GET (§6.3).
 *
 * Retries only what RFC 8555 says is safe to retry, and always RE-SIGNS with a new nonce: a signed
 * request is never sent twice as is (§6.5 makes a replayed nonce fail anyway).
 * - `badNonce` (§6.5): at once, with the nonce that came with the error.
 * - `rateLimited` (§6.6) and HTTP 503: after `Retry-After`, if it is at most `maxRetryAfterMs`;
 *   with no `Retry-After`, or a longer one, the error is thrown at once for the caller to schedule.
 */
export async function signedPost(
  ctx: SignedPostContext,
  url: string,
  payload: unknown,
  options: SignedPostOptions,
): Promise<AcmeResponse> {
  let badNonces = 0
  let waits = 0
  for (;;) {
    throwIfAborted(options.signal)
    const nonce = await ctx.nonces.take({ signal: options.signal })
    const jws = signJws(options.key, payload, {
      url,
      nonce,
      ...(options.kid !== undefined ? { kid: options.kid } : {}),
    })
    try {
      return await ctx.http.request('POST', url, {
        body: JSON.stringify(jws),
        signal: options.signal,
        ...(options.accept ? { accept: options.accept } : {}),
      })
    } catch (err) {
      if (!(err instanceof AcmeProblemError)) throw err
      if (err.acmeType === 'badNonce' && badNonces < MAX_BAD_NONCE_RETRIES) {
        badNonces++
        continue
      }
      const wait = retryWait(err, ctx.maxRetryAfterMs)
      if (wait === undefined || waits >= MAX_RATE_LIMIT_RETRIES) throw err
      waits++
      await ctx.clock.sleep(wait, options.signal)
    }
  }
}

/** How long to wait before retrying `err`, or `undefined` if it must not be retried. */
function retryWait(err: AcmeProblemError, maxWaitMs: number): number | undefined {
  const retryable = err.acmeType === 'rateLimited' || err.status === 503
  if (!retryable || err.retryAfterMs === undefined) return undefined
  return err.retryAfterMs <= maxWaitMs ? err.retryAfterMs : undefined
}
