import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import { challengeFqdn, type DnsProvider } from './dns/dns-provider.js'
import { waitForTxt } from './dns/propagation.js'
import type { Clock } from '../clock.js'

export interface Dns01SolverOptions {
  provider: DnsProvider
  /**
   * Checks that the TXT record is visible before the CA is told to look. `false` turns the check off
   * (for split-horizon DNS, or providers that are consistent on return).
   */
  propagation?:
    | false
    | {
        /** `host:port` of the resolver to ask. Default: the system resolver. */
        resolver?: string
        /** Give up after this many milliseconds. Default 120 000. */
        timeoutMs?: number
        /** Milliseconds between checks. Default 2 000. */
        intervalMs?: number
      }
  clock?: Clock
}

/** DNS-01 (RFC 8555 §8.4) through a {@link DnsProvider}, with an optional propagation check. */
export class Dns01Solver implements ChallengeSolver {
  readonly type = 'dns-01'
  readonly #options: Dns01SolverOptions

  constructor(options: Dns01SolverOptions) {
    this.#options = options
  }

  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#options.provider.present(
      challengeFqdn(challenge.identifier.value),
      challenge.dnsValue,
      options,
    )
  }

  async wait(challenge: ChallengeContext, options: { signal?: AbortSignal } = {}): Promise<void> {
    const check = this.#options.propagation
    if (check === false) return
    await waitForTxt(challengeFqdn(challenge.identifier.value), challenge.dnsValue, {
      ...check,
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  }

  async cleanup(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#options.provider.cleanup(
      challengeFqdn(challenge.identifier.value),
      challenge.dnsValue,
      options,
    )
  }
}
