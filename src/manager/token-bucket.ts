import type { Clock } from '../clock.js'

/**
 * A token bucket on an injected clock: up to `capacity` takes at once, refilled continuously at
 * `capacity` tokens per `intervalMs`. So `{ capacity: 10, intervalMs: 60_000 }` allows a burst of 10,
 * then one every 6 s: "10 per minute" with no fixed window edge to game.
 */
export class TokenBucket {
  readonly #capacity: number
  readonly #intervalMs: number
  readonly #clock: Clock
  #tokens: number
  #at: number

  constructor(options: { capacity: number; intervalMs: number }, clock: Clock) {
    const { capacity, intervalMs } = options
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`rate limit capacity ${capacity} must be an integer >= 1`)
    }
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`rate limit intervalMs ${intervalMs} must be a number of ms > 0`)
    }
    this.#capacity = capacity
    this.#intervalMs = intervalMs
    this.#clock = clock
    this.#tokens = capacity
    this.#at = clock.now()
  }

  /** Takes a token if one is left; false means "over the limit, refuse". */
  take(): boolean {
    this.#refill()
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** Whole tokens available now. */
  get available(): number {
    this.#refill()
    return Math.floor(this.#tokens)
  }

  #refill(): void {
    const now = this.#clock.now()
    // A clock that steps back (NTP) must not drain the bucket: elapsed never goes negative.
    const elapsed = Math.max(0, now - this.#at)
    this.#at = now
    this.#tokens = Math.min(
      this.#capacity,
      this.#tokens + (elapsed * this.#capacity) / this.#intervalMs,
    )
  }
}
