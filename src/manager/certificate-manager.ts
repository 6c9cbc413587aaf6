import type { Identifier } from '../acme/types.js'
import { systemClock, type Clock } from '../clock.js'
import { AbortedError } from '../errors.js'
import { parseIdentifier, parseIdentifiers } from '../issuance/identifiers.js'
import { silentLogger } from '../logger.js'
import type { CertEntry } from '../tls/certificate-cache.js'
import type { Storage } from '../storage/storage.js'
import { IssuanceLimiter } from './issuance-limiter.js'
import type { Issuer } from './issuer.js'
import {
  managedNamed,
  newManaged,
  notReady,
  statusOf,
  type Managed,
  type ManagedStatus,
} from './managed-name.js'
import { ManagedPublisher } from './managed-publisher.js'
import {
  checkManagerOptions,
  DEFAULT_MAX_CONCURRENT_ISSUANCE,
  type CertificateManagerOptions,
} from './manager-options.js'
import { askRenewal, declinedWait, type ManageOptions } from './renewal-consent.js'
import { refreshAri } from './refresh-ari.js'
import { RenewalRecordWriter } from './renewal-record.js'
import { renewOnce, type RenewDueResult } from './renew-once.js'
import { renewQueued, type RenewDeps } from './renew-queued.js'
import { loadServable, type ServedCertificate } from './served-certificate.js'
import { wakeableSleep } from './wakeable-sleep.js'
import { waitFor } from './wait-for.js'

export type { CertificateManagerOptions, ManagedStatus, RenewDueResult }
export { MIN_RENEWAL_INTERVAL_MS } from './renewal-schedule.js'
export { ISSUE_LOCK_WAIT_MS } from './issue-locked.js'
export { DECLINED_RECHECK_MS, type ManageOptions, type RenewalConsent } from './renewal-consent.js'

/** Default `timeoutMs` of {@link CertificateManager.ready}: how long a handshake may wait. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000

/**
 * Obtains, serves and renews one certificate per configured name (issue 3 §3), publishing each into
 * a {@link CertificateCache} that the TLS `SNICallback` reads.
 *
 * Schedule, per name, all on the injected clock (see {@link RenewalSchedule}): when the issuer
 * offers ARI, a uniformly random time inside the CA's suggested window (RFC 9773 §4.2), asked again
 * at least every 12 hours; otherwise at 2/3 of the lifetime (1/2 below 10 days), jittered. Failures
 * are retried after 1 min, 10 min, 100 min, then daily, and the old certificate keeps serving until
 * a new one is in. Across processes, issuance holds the name's storage lock and re-reads storage
 * after getting it, so a certificate another instance just renewed is loaded, not issued again.
 */
export class CertificateManager {
  readonly #storage: Storage
  readonly #issuer: Issuer
  readonly #clock: Clock
  readonly #out: ManagedPublisher
  readonly #random: () => number
  readonly #managed = new Map<string, Managed>()
  /** Names being added by `manage()`, so concurrent calls for one name share one load. */
  readonly #adding = new Map<string, Promise<boolean>>()
  /** Set when start() begins the loops: a name added after that starts its own. */
  #looping = false
  readonly #records: RenewalRecordWriter
  /** What the renewal steps work with (renew-queued.ts, renew-once.ts). */
  readonly #deps: RenewDeps
  readonly #stop = new AbortController()
  readonly #loops: Promise<void>[] = []
  #started: Promise<void> | undefined
  #loaded: Promise<void> | undefined

  constructor(options: CertificateManagerOptions) {
    checkManagerOptions(options)
    this.#storage = options.storage
    this.#issuer = options.issuer
    this.#clock = options.clock ?? systemClock
    this.#records = new RenewalRecordWriter(options.storage, options.issuer.key)
    this.#out = new ManagedPublisher({
      cache: options.cache,
      issuer: options.issuer,
      clock: this.#clock,
      records: this.#records,
      logger: options.logger ?? silentLogger,
      onEvent: options.onEvent,
    })
    this.#deps = {
      storage: this.#storage,
      issuer: this.#issuer,
      clock: this.#clock,
      records: this.#records,
      limiter: new IssuanceLimiter(
        options.maxConcurrentIssuance ?? DEFAULT_MAX_CONCURRENT_ISSUANCE,
      ),
      out: this.#out,
    }
    this.#random = options.random ?? Math.random
    for (const raw of options.names) {
      // A group shares one certificate, stored and looked up under its first name.
      const identifiers = parseIdentifiers(typeof raw === 'string' ? [raw] : raw)
      const name = identifiers[0]?.value ?? ''
      if (!this.#managed.has(name)) this.#managed.set(name, newManaged(identifiers, this.#random))
    }
  }

  /**
   * Loads the stored certificates of every name into the cache, then returns; missing certificates
   * are obtained and renewals scheduled in the background. Never rejects for an issuance failure:
   * that is retried and reported through events and `status()`. Calling it again is a no-op.
   */
  start(): Promise<void> {
    this.#started ??= this.#startOnce()
    return this.#started
  }

  async #startOnce(): Promise<void> {
    await this.#load()
    if (this.#stop.signal.aborted) return
    this.#looping = true
    for (const m of this.#managed.values()) this.#loops.push(this.#run(m))
  }

  /**
   * Adds `name` while running (on-demand issuance, issue 3 §3): publishes its stored certificate when
   * storage has a valid one; otherwise, unless `mayIssue()` answers false, its loop obtains one now.
   * From then on it is renewed like a configured name. Resolves true once the name is managed (at once
   * when it already is), false when `mayIssue` refused or the manager is stopped. Concurrent calls for
   * one name share one load and one `mayIssue` answer.
   */
  manage(name: string, options: ManageOptions = {}): Promise<boolean> {
    const identifier = parseIdentifier(name)
    if (this.#managed.has(identifier.value)) return Promise.resolve(true)
    let adding = this.#adding.get(identifier.value)
    if (!adding) {
      adding = this.#add(identifier, options)
      const done = (): void => void this.#adding.delete(identifier.value)
      adding.then(done, done)
      this.#adding.set(identifier.value, adding)
    }
    return adding
  }

  async #add(identifier: Identifier, options: ManageOptions): Promise<boolean> {
    const m = newManaged([identifier], this.#random, options.mayRenew)
    const stored = await this.#loadStored(m).catch(() => undefined)
    if (this.#stop.signal.aborted) return false
    if (stored === undefined && options.mayIssue !== undefined && !options.mayIssue()) return false
    this.#managed.set(m.name, m)
    if (stored !== undefined) this.#out.publish(m, stored, false, { type: 'loaded' })
    if (this.#looping) this.#loops.push(this.#run(m))
    return true
  }

  /** Publishes every stored certificate once (for `start` and `renewDue`). */
  #load(): Promise<void> {
    this.#loaded ??= Promise.all(
      [...this.#managed.values()].map(async (m) => {
        // A storage error here is not fatal: the loop's first issuance re-reads under the lock.
        const stored = await this.#loadStored(m).catch(() => undefined)
        if (stored !== undefined) this.#out.publish(m, stored, false, { type: 'loaded' })
      }),
    ).then(() => {})
    return this.#loaded
  }

  /**
   * One look at each name (all, or `names`) as the renewal loop takes it, without starting the loop:
   * load the stored certificate, ask for renewal info when it is time to ask (RFC 9773 §4.3), and
   * renew when due, or whatever the schedule says with `force`; a renewal sends the old CertID as
   * `replaces` (RFC 9773 §5). Names are handled one after the other, as `certbot renew` does, so a
   * standalone challenge listener serves one order at a time. What `gatehouse certs renew` runs.
   * Issuance failures are recorded (and retried by a running loop) and reported, not thrown.
   */
  async renewDue(
    options: { names?: readonly string[]; force?: boolean; signal?: AbortSignal } = {},
  ): Promise<RenewDueResult[]> {
    const selected = (options.names ?? [...this.#managed.keys()]).map((n) =>
      managedNamed(this.#managed, n),
    )
    const signal = this.#withStop(options.signal)
    await this.#load()
    const results: RenewDueResult[] = []
    for (const m of selected) {
      if (signal.aborted) throw new AbortedError(signal.reason)
      results.push(await renewOnce(this.#deps, m, options.force === true, signal))
    }
    return results
  }

  /**
   * Resolves with the cache entry once a valid certificate for `name` is served: what a handshake
   * for a name whose certificate is not ready yet waits for. Rejects with ERR_TIMEOUT after
   * `timeoutMs` (manager clock, default {@link DEFAULT_READY_TIMEOUT_MS}; `cause` is the last
   * issuance error), ERR_ABORTED when `signal` aborts or the manager stops.
   */
  ready(
    name: string,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<CertEntry> {
    const m = managedNamed(this.#managed, name)
    const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS
    if (!(timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
      throw new RangeError(`ready() timeoutMs ${timeoutMs} must be a finite number of ms >= 0`)
    }
    return waitFor(() => this.#out.servedEntry(m), {
      waiters: m.waiters,
      clock: this.#clock,
      timeoutMs,
      signal: this.#withStop(options.signal),
      onTimeout: () => notReady(m, timeoutMs),
    })
  }

  /**
   * Renews `name` now if it is due (missing, past its renewal time, or past its retry time), as
   * certmagic's `RenewCertAsync`; with `force`, issues a new certificate whatever the schedule and
   * storage say. Rejects with the issuance error (also recorded and retried as usual).
   */
  async renewNow(
    name: string,
    options: { force?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const m = managedNamed(this.#managed, name)
    const signal = this.#withStop(options.signal)
    if (signal.aborted) throw new AbortedError(signal.reason)
    try {
      await renewQueued(this.#deps, m, options.force === true, signal)
    } finally {
      m.wake?.abort()
    }
  }

  /** Per name: the served certificate, the next renewal and why, and what failed. */
  status(): ManagedStatus[] {
    return [...this.#managed.values()].map((m) => statusOf(m))
  }

  /** Cancels timers and in-flight issuance; resolves once every loop and issuance has ended. */
  async stop(): Promise<void> {
    this.#stop.abort(new AbortedError('the certificate manager was stopped'))
    await this.#started?.catch(() => {})
    await Promise.allSettled([...this.#adding.values()])
    await Promise.allSettled([...this.#loops, ...[...this.#managed.values()].map((m) => m.busy)])
    await this.#records.flush()
  }

  /** One name's loop: look (ARI, expiry), issue when due, else sleep until the next thing to do. */
  async #run(m: Managed): Promise<void> {
    const stop = this.#stop.signal
    while (!stop.aborted) {
      try {
        await refreshAri(this.#deps, m, stop)
        const now = this.#clock.now()
        // A declined name is expected to expire: no "renewals are failing" warning for it.
        if (!m.declined && m.schedule.expiringSoon(now)) this.#out.about(m, 'expiring_soon')
        if (now >= m.schedule.dueAt) {
          if (!(await this.#renewalAllowed(m, stop))) {
            if (this.#releaseExpired(m)) return
            await wakeableSleep(this.#clock, stop, m, declinedWait(m, this.#clock.now()))
            continue
          }
          // Failures are recorded with their retry time by renewQueued; the loop just looks again.
          await renewQueued(this.#deps, m, false, stop).catch(() => {})
          continue
        }
        const wakeAt = m.schedule.wakeAt(this.#issuer.renewalInfo !== undefined)
        await wakeableSleep(this.#clock, stop, m, wakeAt - now)
      } catch (err) {
        if (stop.aborted) return
        // Not an issuance failure (those are caught above): still back off, never spin.
        this.#out.failed(m, err)
      }
    }
  }

  /** Asks an on-demand name's policy before renewing; reports the first denial of a streak. */
  async #renewalAllowed(m: Managed, signal: AbortSignal): Promise<boolean> {
    const consent = await askRenewal(m, signal)
    if (consent.firstDenial) this.#out.about(m, 'renewal_declined', consent.reason)
    return consent.allowed
  }

  /**
   * Stops serving and managing a declined name once its certificate expired; true when it did. A
   * later handshake for the name goes through the on-demand policy again, as for a new name.
   */
  #releaseExpired(m: Managed): boolean {
    const served = m.schedule.served
    if (served === undefined || served.notAfter.getTime() > this.#clock.now()) return false
    this.#out.unpublish(m)
    this.#managed.delete(m.name)
    this.#out.about(m, 'released')
    return true
  }

  #loadStored(m: Managed): Promise<ServedCertificate | undefined> {
    return loadServable(this.#storage, this.#issuer.key, m.name, this.#clock.now())
  }

  #withStop(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([this.#stop.signal, signal]) : this.#stop.signal
  }
}
