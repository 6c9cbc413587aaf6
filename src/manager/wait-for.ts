import type { Clock } from '../clock.js'
import { AbortedError } from '../errors.js'

export interface WaitForOptions {
  /** Where the waiter registers; the owner calls every member when `probe` may have changed. */
  waiters: Set<() => void>
  clock: Clock
  /** Longest wait, in ms of `clock` time. */
  timeoutMs: number
  signal: AbortSignal
  /** The error to reject with when `timeoutMs` passes. */
  onTimeout: () => Error
}

/**
 * Resolves with `probe()` as soon as it returns a value: at once, or when the owner of `waiters`
 * calls them. Rejects with `onTimeout()` after `timeoutMs` of clock time and with ERR_ABORTED when
 * `signal` aborts. Whatever settles it removes the waiter, the listener and the timer, so an
 * abandoned wait leaves nothing behind (a FakeClock shows no pending sleep).
 */
export function waitFor<T>(probe: () => T | undefined, options: WaitForOptions): Promise<T> {
  const { waiters, clock, timeoutMs, signal, onTimeout } = options
  const ready = probe()
  if (ready !== undefined) return Promise.resolve(ready)
  if (signal.aborted) return Promise.reject(new AbortedError(signal.reason))
  return new Promise<T>((resolve, reject) => {
    const timer = new AbortController()
    const finish = (settle: () => void): void => {
      waiters.delete(check)
      signal.removeEventListener('abort', onAbort)
      timer.abort()
      settle()
    }
    const check = (): void => {
      const value = probe()
      if (value !== undefined) finish(() => resolve(value))
    }
    const onAbort = (): void => finish(() => reject(new AbortedError(signal.reason)))
    waiters.add(check)
    signal.addEventListener('abort', onAbort, { once: true })
    clock.sleep(timeoutMs, timer.signal).then(
      () => finish(() => reject(onTimeout())),
      () => {}, // the timer was cancelled because the wait settled otherwise
    )
  })
}
