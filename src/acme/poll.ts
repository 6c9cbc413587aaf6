import type { Clock } from '../clock.js'
import { GatehouseError, RetryExhaustedError, throwIfAborted } from '../errors.js'

/** First wait between polls when the server gives no `Retry-After`. */
export const INITIAL_POLL_INTERVAL_MS = 50
/** Backoff ceiling when the server gives no `Retry-After`. */
export const MAX_BACKOFF_INTERVAL_MS = 2_000
/** A server's `Retry-After` on a pending resource is clamped to this, so a stray hour never stalls us. */
export const MAX_POLL_INTERVAL_MS = 10_000
/** Default overall bound of one wait. */
export const DEFAULT_POLL_TIMEOUT_MS = 5 * 60_000
/** Hard cap on fetches in one wait, whatever the clock says. */
export const MAX_POLL_ATTEMPTS = 1_000

export interface PollOptions {
  clock: Clock
  /** Overall bound in ms. Default {@link DEFAULT_POLL_TIMEOUT_MS}. */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

/**
 * RFC 8555 §7.5.1 and §7.4: the client polls a resource until it reaches a state it wants, honouring
 * `Retry-After` when the server sends one. `fetch` returns the resource and the response's
 * `Retry-After`; `status` describes the state for the error when time runs out.
 */
export async function pollUntil<T>(
  what: string,
  fetch: () => Promise<{ value: T; retryAfterMs: number | undefined }>,
  done: (value: T) => boolean,
  status: (value: T) => string,
  options: PollOptions,
): Promise<T> {
  const { clock, signal } = options
  const deadline = clock.now() + (options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS)
  let backoff = INITIAL_POLL_INTERVAL_MS
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal)
    const { value, retryAfterMs } = await fetch()
    if (done(value)) return value
    const remaining = deadline - clock.now()
    if (remaining <= 0 || attempt >= MAX_POLL_ATTEMPTS) {
      const last = new GatehouseError('ERR_RETRY_EXHAUSTED', `${what} is still ${status(value)}`)
      throw new RetryExhaustedError(`waiting for ${what}`, attempt, last)
    }
    const wait = retryAfterMs !== undefined ? Math.min(retryAfterMs, MAX_POLL_INTERVAL_MS) : backoff
    backoff = Math.min(backoff * 2, MAX_BACKOFF_INTERVAL_MS)
    await clock.sleep(Math.min(wait, remaining), signal)
  }
}
