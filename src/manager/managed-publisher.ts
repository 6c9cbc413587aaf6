import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import type { CertEntry, CertificateCache } from '../tls/certificate-cache.js'
import type { Issuer } from './issuer.js'
import { logManagerEvent } from './log-events.js'
import type { Managed } from './managed-name.js'
import type { ManagerEvent } from './manager-events.js'
import type { RenewalRecordWriter } from './renewal-record.js'
import { summarize, type ServedCertificate } from './served-certificate.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The event `publish` sends, without what it fills in itself. */
export type PublishEvent = DistributiveOmit<
  Extract<ManagerEvent, { type: 'loaded' | 'obtained' | 'renewed' }>,
  'name' | 'at' | 'certificate'
>

export interface ManagedPublisherOptions {
  cache: CertificateCache
  issuer: Pick<Issuer, 'key' | 'source'>
  clock: Clock
  records: RenewalRecordWriter
  logger: Logger
  onEvent: ((event: ManagerEvent) => void) | undefined
}

/**
 * Everything the certificate manager tells the world about its names: the certificate served (the
 * cache entry, one id per name), the operator's record (`renewal.json`), the lifecycle events and
 * their log lines, and the `ready()` waiters.
 */
export class ManagedPublisher {
  readonly #o: ManagedPublisherOptions

  constructor(options: ManagedPublisherOptions) {
    this.#o = options
  }

  /** Swaps the served certificate in the cache, then tells everyone. */
  publish(m: Managed, served: ServedCertificate, issued: boolean, event: PublishEvent): void {
    this.#o.cache.set({
      id: this.entryId(m),
      names: m.identifiers.map((id) => id.value),
      notAfter: served.notAfter,
      certificatePem: served.certificatePem,
      privateKeyPem: served.privateKeyPem,
      source: this.#o.issuer.source ?? 'acme',
    })
    const now = this.#o.clock.now()
    m.schedule.serve(served, now, issued)
    // A load at start teaches nothing new and would erase the last run's error from the record.
    if (issued) this.#o.records.write(m.name, m.schedule.record(now))
    this.emit({ ...event, name: m.name, at: new Date(now), certificate: summarize(served) })
    for (const check of [...m.waiters]) check()
  }

  /** An issuance failed: backs off (see RenewalSchedule.fail), records and reports it. */
  failed(m: Managed, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    const now = this.#o.clock.now()
    const { attempt, nextAttempt } = m.schedule.fail(error, now)
    this.#o.records.write(m.name, m.schedule.record(now))
    this.emit({
      type: 'renewal_failed',
      name: m.name,
      at: new Date(now),
      error,
      attempt,
      nextAttempt: new Date(nextAttempt),
      hasCertificate: m.schedule.served !== undefined,
    })
  }

  /** `expiring_soon`, `renewal_declined` (with why) or `released` for the served certificate. */
  about(m: Managed, type: 'expiring_soon' | 'released'): void
  about(m: Managed, type: 'renewal_declined', reason: string): void
  about(m: Managed, type: 'expiring_soon' | 'released' | 'renewal_declined', reason = ''): void {
    const served = m.schedule.served
    if (served === undefined) return
    const base = { name: m.name, at: new Date(this.#o.clock.now()), certificate: summarize(served) }
    if (type === 'renewal_declined') this.emit({ type, ...base, reason })
    else this.emit({ type, ...base })
  }

  /** Stops serving `m`'s certificate. */
  unpublish(m: Managed): void {
    this.#o.cache.delete(this.entryId(m))
  }

  /** The cache entry served for `m`, while its certificate is valid. */
  servedEntry(m: Managed): CertEntry | undefined {
    const served = m.schedule.served
    if (served === undefined || served.notAfter.getTime() <= this.#o.clock.now()) return undefined
    return this.#o.cache.get(this.entryId(m))
  }

  entryId(m: Managed): string {
    return `managed:${this.#o.issuer.key}:${m.name}`
  }

  emit(event: ManagerEvent): void {
    logManagerEvent(this.#o.logger, event)
    try {
      this.#o.onEvent?.(event)
    } catch {
      // A listener's bug must not stop renewals.
    }
  }
}
