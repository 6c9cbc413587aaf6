import type { ProxyRoute } from './types.js'

export type PassiveHealthLimits = ProxyRoute['passiveHealth']

/**
 * Passive health of one upstream, from the outcome of real requests: `maxFails` failures within
 * `failWindowMs`, with no success in between, eject it for `ejectMs`; then it is back in with a clean
 * record. Requiring consecutive failures keeps a busy upstream that fails one request in thousands
 * from being ejected, while one that stopped answering is ejected after `maxFails` requests.
 * `maxFails <= 0` turns passive health off. Pure: the caller passes the time.
 */
export class PassiveHealth {
  readonly #limits: PassiveHealthLimits
  /** Times of the recent failures, oldest first; never more than `maxFails`. */
  readonly #failures: number[] = []
  #ejectedUntil = -Infinity

  constructor(limits: PassiveHealthLimits) {
    this.#limits = limits
  }

  /** Whether the upstream is out at `now`. */
  isEjected(now: number): boolean {
    return now < this.#ejectedUntil
  }

  /** When the current ejection ends (epoch ms), or undefined when not ejected at `now`. */
  ejectedUntil(now: number): number | undefined {
    return this.isEjected(now) ? this.#ejectedUntil : undefined
  }

  /**
   * Records a failure at `now`. Returns true when this failure ejected the upstream. Failures of
   * requests that were in flight when it was ejected do not extend the ejection.
   */
  fail(now: number): boolean {
    const { maxFails, failWindowMs, ejectMs } = this.#limits
    if (maxFails <= 0 || this.isEjected(now)) return false
    const failures = this.#failures
    while (failures.length > 0 && (failures[0] as number) <= now - failWindowMs) failures.shift()
    failures.push(now)
    if (failures.length < maxFails) return false
    failures.length = 0
    this.#ejectedUntil = now + ejectMs
    return true
  }

  /** Records a success: the failures so far no longer count. */
  succeed(): void {
    if (this.#failures.length > 0) this.#failures.length = 0
  }
}
