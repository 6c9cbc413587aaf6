import { AbortedError } from '../errors.js'

/**
 * Bounds how many issuances run at once across names, so a server starting with thousands of
 * missing certificates does not open thousands of orders (and challenge listeners) at the CA at
 * once. Waiters are served first come, first served; a waiter whose signal aborts leaves the queue.
 */
export class IssuanceLimiter {
  #free: number
  readonly #queue: (() => void)[] = []

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`issuance limit ${max} must be an integer >= 1`)
    }
    this.#free = max
  }

  /** Waits for a slot; rejects with ERR_ABORTED when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new AbortedError(signal.reason))
    if (this.#free > 0) {
      this.#free--
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.#queue.splice(this.#queue.indexOf(grant), 1)
        reject(new AbortedError(signal.reason))
      }
      this.#queue.push(grant)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Gives a slot back, to the longest waiter if any. Call exactly once per successful acquire. */
  release(): void {
    const next = this.#queue.shift()
    if (next) next()
    else this.#free++
  }

  /** Slots free now. */
  get free(): number {
    return this.#free
  }
}
