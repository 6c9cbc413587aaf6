import { setTimeout as delay } from 'node:timers/promises'
import { AbortedError } from './errors.js'

/**
 * The source of time for everything that schedules: polling, retries, renewal. Injected so tests can
 * run months of renewals in seconds.
 *
 * Contract:
 * - `now()` returns milliseconds since the Unix epoch, like `Date.now()`.
 * - `sleep(ms, signal)` resolves after `ms` milliseconds of this clock's time, or rejects with
 *   `AbortedError` as soon as `signal` aborts (also when it is already aborted). `ms <= 0` resolves on
 *   the next turn of the event loop.
 */
export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The wall clock. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortedError(signal.reason)
    try {
      await delay(Math.max(0, ms), undefined, signal ? { signal } : {})
    } catch (err) {
      if (signal?.aborted) throw new AbortedError(signal.reason)
      throw err
    }
  },
})
