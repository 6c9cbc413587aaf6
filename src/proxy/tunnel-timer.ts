/** The timers of a WebSocket tunnel: one for the attempt in progress, and the idle bound's delay. */

/** The longest delay a Node timer accepts; longer ones fire after 1 ms with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A socket idle timeout for `ms` as `setTimeout(ms)` takes it: 0 (never) for 0, a negative value or
 * Infinity; at most 2^31-1 ms.
 */
export function idleTimeoutDelay(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0
}

/** One pending timeout at a time: arming it again replaces the one before. */
export class TunnelTimer {
  #timer: NodeJS.Timeout | undefined

  /** Calls `onTimeout` after `ms`; never for 0, a negative value or Infinity. At most 2^31-1 ms. */
  arm(ms: number, onTimeout: () => void): void {
    this.disarm()
    if (!(ms > 0) || !Number.isFinite(ms)) return
    this.#timer = setTimeout(onTimeout, Math.min(ms, MAX_TIMER_MS))
  }

  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
