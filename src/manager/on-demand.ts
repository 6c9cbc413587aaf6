import type { Identifier } from '../acme/types.js'
import { systemClock, type Clock } from '../clock.js'
import { silentLogger, type Logger } from '../logger.js'
import type { CertificateManager, RenewalConsent } from './certificate-manager.js'
import {
  checkOnDemandOptions,
  ON_DEMAND_DEFAULTS,
  type OnDemandOptions,
} from './on-demand-options.js'
import { OnDemandPolicy, type OnDemandVerdict } from './on-demand-policy.js'
import { TokenBucket } from './token-bucket.js'

export type { OnDemandOptions }

export interface OnDemandIssuanceOptions {
  policy: OnDemandOptions
  /** The manager that takes an allowed name (ACME for public names, the local CA for local ones). */
  managerFor: (identifier: Identifier) => CertificateManager | undefined
  clock?: Clock
  logger?: Logger
}

/**
 * On-demand issuance at the first handshake (issue 3 §3), as Caddy's `on_demand_tls`: the name's
 * syntax, then the policy (allow-list, ask, decide; cached), then the rate limit for a new issuance;
 * an admitted name joins its manager, which obtains the certificate (one issuance in flight per name:
 * concurrent handshakes for it wait on the same one) and renews it from then on. A name with a valid
 * certificate in storage is loaded without issuing and without taking from the rate limit.
 */
export class OnDemandIssuance {
  readonly #policy: OnDemandPolicy
  readonly #bucket: TokenBucket
  readonly #managerFor: OnDemandIssuanceOptions['managerFor']
  readonly #logger: Logger
  /** The limit as logged when a name is refused: `10 per 60000 ms`. */
  readonly #limit: string

  constructor(options: OnDemandIssuanceOptions) {
    checkOnDemandOptions(options.policy)
    const clock = options.clock ?? systemClock
    this.#policy = new OnDemandPolicy(options.policy, clock)
    const rate = options.policy.rateLimit ?? ON_DEMAND_DEFAULTS.rateLimit
    this.#bucket = new TokenBucket({ capacity: rate.issuances, intervalMs: rate.intervalMs }, clock)
    this.#limit = `${rate.issuances} per ${rate.intervalMs} ms`
    this.#managerFor = options.managerFor
    this.#logger = options.logger ?? silentLogger
  }

  /**
   * For a handshake whose name has no certificate: resolves true once one is served for it, false when
   * the name is not allowed, over the rate limit, or not ready before `signal` aborts. Never rejects.
   */
  async certificateFor(servername: string, signal: AbortSignal): Promise<boolean> {
    const verdict = await this.#policy.check(servername, signal)
    if (!verdict.allowed || verdict.identifier === undefined) {
      this.#logDenied(servername, verdict)
      return false
    }
    const name = verdict.identifier.value
    const manager = this.#managerFor(verdict.identifier)
    if (manager === undefined) {
      this.#logger.warn('on-demand issuance refused', { name, reason: 'no issuer for this name' })
      return false
    }
    const admitted = await manager.manage(name, {
      mayIssue: () => this.#mayIssue(name),
      mayRenew: (signal) => this.#mayRenew(name, signal),
    })
    if (!admitted) return false
    try {
      await manager.ready(name, { signal })
      return true
    } catch {
      return false // the manager records and retries the failure; this handshake gets the default
    }
  }

  close(): void {
    this.#policy.close()
  }

  /**
   * Before each renewal the name is asked about again, through the same policy (and its answer
   * cache), as certmagic does for on-demand certificates: a customer who left must not keep a
   * certificate renewed for ever. The manager logs a denial once (its `renewal_declined` event).
   */
  async #mayRenew(name: string, signal: AbortSignal): Promise<RenewalConsent> {
    const verdict = await this.#policy.check(name, signal)
    return { allowed: verdict.allowed, reason: verdict.reason }
  }

  #mayIssue(name: string): boolean {
    if (this.#bucket.take()) {
      this.#logger.info('on-demand issuance started', { name })
      return true
    }
    this.#logger.warn('on-demand issuance refused', {
      name,
      reason: 'rate limit',
      limit: this.#limit,
    })
    return false
  }

  #logDenied(servername: string, verdict: OnDemandVerdict): void {
    // Only answers just computed: a cached denial would log once per handshake of a scanner.
    if (!verdict.fresh) return
    const fields = { name: verdict.identifier?.value ?? servername, reason: verdict.reason }
    if (verdict.kind === 'denied') this.#logger.info('on-demand issuance denied', fields)
    else this.#logger.debug('on-demand issuance denied', fields)
  }
}
