import type { Identifier } from '../acme/types.js'
import { systemClock, type Clock } from '../clock.js'
import { AbortedError, GatehouseError } from '../errors.js'
import { parseIdentifier, parseIdentifiers } from '../issuance/identifiers.js'
import { silentLogger, type Logger } from '../logger.js'
import type { CertEntry, CertificateCache } from '../tls/certificate-cache.js'
import type { Storage } from '../storage/storage.js'
import { IssuanceLimiter } from './issuance-limiter.js'
import type { Issuer } from './issuer.js'
import { logManagerEvent } from './log-events.js'
import type { ManagerEvent } from './manager-events.js'
import {
  checkManagerOptions,
  DEFAULT_MAX_CONCURRENT_ISSUANCE,
  type CertificateManagerOptions,
} from './manager-options.js'
import { needsRenewal } from './renewal-policy.js'
import { RenewalRecordWriter } from './renewal-record.js'
import { RenewalSchedule } from './renewal-schedule.js'
import {
  loadServable,
  optional,
  storeIssued,
  summarize,
  type ServedCertificate,
} from './served-certificate.js'
import { certificateKeys } from './storage-keys.js'
import { waitFor } from './wait-for.js'

export type { CertificateManagerOptions }
export { MIN_RENEWAL_INTERVAL_MS } from './renewal-schedule.js'

/** Default `timeoutMs` of {@link CertificateManager.ready}: how long a handshake may wait. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000
/** How long issuance waits for the storage lock held by another process issuing the same name. */
export const ISSUE_LOCK_WAIT_MS = 5 * 60_000
/**
 * How often a name whose renewal the on-demand policy declined is asked about again (the policy's
 * own answer cache still applies), until the policy allows it or its certificate expires.
 */
export const DECLINED_RECHECK_MS = 60 * 60_000

/** The on-demand policy's answer about renewing a name: see {@link ManageOptions.mayRenew}. */
export interface RenewalConsent {
  allowed: boolean
  /** Which rule decided (the ask status, the allow-list), for the `renewal_declined` event. */
  reason: string
}

/** Options of {@link CertificateManager.manage}. */
export interface ManageOptions {
  /** Asked once, only when storage has no valid certificate: may a first one be issued now? */
  mayIssue?: () => boolean
  /**
   * Asked before each renewal by the renewal loop (not by `renewNow` or `renewDue`, which an
   * operator runs): when it denies, the certificate is not renewed, keeps serving until it expires,
   * and is then released. A rejection counts as a denial (fail-closed).
   */
  mayRenew?: (signal: AbortSignal) => Promise<RenewalConsent>
}

/** One name as `status()` reports it: which certificate, when it renews, what failed. */
export interface ManagedStatus {
  name: string
  serialHex?: string
  notAfter?: Date
  /** When the manager will next try to issue (the retry time after a failure). */
  nextRenewal?: Date
  /** Whether the renewal time comes from the CA's ARI window or from the certificate's lifetime. */
  reason: 'ari' | 'lifetime'
  lastError?: Error
  /** Consecutive failed issuances. */
  failures: number
  ariExplanationURL?: string
}

/** What {@link CertificateManager.renewDue} did for one name. */
export interface RenewDueResult {
  name: string
  /**
   * `obtained` (there was none), `renewed`, `adopted` (another process had just renewed it),
   * `not-due` (nothing to do yet), `failed` (see `error`; recorded and retried as usual).
   */
  outcome: 'obtained' | 'renewed' | 'adopted' | 'not-due' | 'failed'
  status: ManagedStatus
  /** The CertID sent as `replaces` (RFC 9773 §5) when `renewed`. */
  replaces?: string
  error?: Error
}

type IssueOutcome = Exclude<RenewDueResult['outcome'], 'failed'>

interface Managed {
  readonly name: string
  readonly identifiers: Identifier[]
  readonly schedule: RenewalSchedule
  /** Tail of this name's issuance queue: one issuance per name at a time in this process. */
  busy: Promise<void>
  /** Aborted to make a sleeping loop look again (after `renewNow`). */
  wake: AbortController | undefined
  /** `ready()` callers, told whenever a certificate is published. */
  readonly waiters: Set<() => void>
  /** See {@link ManageOptions.mayRenew}; undefined for configured names. */
  readonly mayRenew: ManageOptions['mayRenew']
  /** Set while the last `mayRenew` answer denied (the event is emitted once per denial). */
  declined: boolean
}

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
  readonly #cache: CertificateCache
  readonly #clock: Clock
  readonly #onEvent: ((event: ManagerEvent) => void) | undefined
  readonly #limiter: IssuanceLimiter
  readonly #logger: Logger
  readonly #random: () => number
  readonly #managed = new Map<string, Managed>()
  /** Names being added by `manage()`, so concurrent calls for one name share one load. */
  readonly #adding = new Map<string, Promise<boolean>>()
  /** Set when start() begins the loops: a name added after that starts its own. */
  #looping = false
  readonly #records: RenewalRecordWriter
  readonly #stop = new AbortController()
  readonly #loops: Promise<void>[] = []
  #started: Promise<void> | undefined
  #loaded: Promise<void> | undefined

  constructor(options: CertificateManagerOptions) {
    checkManagerOptions(options)
    this.#storage = options.storage
    this.#issuer = options.issuer
    this.#cache = options.cache
    this.#clock = options.clock ?? systemClock
    this.#onEvent = options.onEvent
    this.#logger = options.logger ?? silentLogger
    this.#limiter = new IssuanceLimiter(
      options.maxConcurrentIssuance ?? DEFAULT_MAX_CONCURRENT_ISSUANCE,
    )
    this.#records = new RenewalRecordWriter(options.storage, options.issuer.key)
    this.#random = options.random ?? Math.random
    for (const raw of options.names) {
      // A group shares one certificate, stored and looked up under its first name.
      const identifiers = parseIdentifiers(typeof raw === 'string' ? [raw] : raw)
      const name = identifiers[0]?.value ?? ''
      if (!this.#managed.has(name)) this.#managed.set(name, this.#newManaged(identifiers))
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
    const m = this.#newManaged([identifier], options.mayRenew)
    const stored = await this.#loadStored(m).catch(() => undefined)
    if (this.#stop.signal.aborted) return false
    if (stored === undefined && options.mayIssue !== undefined && !options.mayIssue()) return false
    this.#managed.set(m.name, m)
    if (stored !== undefined) this.#publish(m, stored, false, { type: 'loaded' })
    if (this.#looping) this.#loops.push(this.#run(m))
    return true
  }

  #newManaged(identifiers: Identifier[], mayRenew?: ManageOptions['mayRenew']): Managed {
    return {
      name: identifiers[0]?.value ?? '',
      identifiers,
      schedule: new RenewalSchedule(this.#random),
      busy: Promise.resolve(),
      wake: undefined,
      waiters: new Set(),
      mayRenew,
      declined: false,
    }
  }

  /** Publishes every stored certificate once (for `start` and `renewDue`). */
  #load(): Promise<void> {
    this.#loaded ??= Promise.all(
      [...this.#managed.values()].map(async (m) => {
        // A storage error here is not fatal: the loop's first issuance re-reads under the lock.
        const stored = await this.#loadStored(m).catch(() => undefined)
        if (stored !== undefined) this.#publish(m, stored, false, { type: 'loaded' })
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
    const selected = (options.names ?? [...this.#managed.keys()]).map((n) => this.#get(n))
    const signal = this.#withStop(options.signal)
    await this.#load()
    const results: RenewDueResult[] = []
    for (const m of selected) {
      if (signal.aborted) throw new AbortedError(signal.reason)
      results.push(await this.#renewOnce(m, options.force === true, signal))
    }
    return results
  }

  async #renewOnce(m: Managed, force: boolean, signal: AbortSignal): Promise<RenewDueResult> {
    const previous = m.schedule.served?.certId
    let outcome: IssueOutcome
    try {
      await this.#refreshAri(m, signal)
      outcome =
        force || this.#clock.now() >= m.schedule.dueAt
          ? await this.#renew(m, force, signal)
          : 'not-due'
    } catch (err) {
      if (signal.aborted) throw err
      const error = err instanceof Error ? err : new Error(String(err))
      return { name: m.name, outcome: 'failed', status: this.#statusOf(m), error }
    }
    const replaces = outcome === 'renewed' ? optional('replaces', previous) : {}
    return { name: m.name, outcome, status: this.#statusOf(m), ...replaces }
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
    const m = this.#get(name)
    const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS
    if (!(timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
      throw new RangeError(`ready() timeoutMs ${timeoutMs} must be a finite number of ms >= 0`)
    }
    return waitFor(() => this.#servedEntry(m), {
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
    const m = this.#get(name)
    const signal = this.#withStop(options.signal)
    if (signal.aborted) throw new AbortedError(signal.reason)
    try {
      await this.#renew(m, options.force === true, signal)
    } finally {
      m.wake?.abort()
    }
  }

  /** Per name: the served certificate, the next renewal and why, and what failed. */
  status(): ManagedStatus[] {
    return [...this.#managed.values()].map((m) => this.#statusOf(m))
  }

  #statusOf({ name, schedule }: Managed): ManagedStatus {
    const due = schedule.dueAt
    return {
      name,
      ...optional('serialHex', schedule.served?.serialHex),
      ...optional('notAfter', schedule.served?.notAfter),
      ...(Number.isFinite(due) ? { nextRenewal: new Date(due) } : {}),
      reason: schedule.reason,
      ...optional('lastError', schedule.lastError),
      failures: schedule.failures,
      ...optional('ariExplanationURL', schedule.ariExplanationURL),
    }
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
        await this.#refreshAri(m, stop)
        const now = this.#clock.now()
        // A declined name is expected to expire: no "renewals are failing" warning for it.
        if (!m.declined && m.schedule.expiringSoon(now)) this.#emitExpiring(m, now)
        if (now >= m.schedule.dueAt) {
          if (!(await this.#renewalAllowed(m, stop))) {
            if (this.#releaseExpired(m)) return
            await this.#sleep(m, this.#declinedWait(m))
            continue
          }
          // Failures are recorded with their retry time by #renew; the loop just looks again.
          await this.#renew(m, false, stop).catch(() => {})
          continue
        }
        await this.#sleep(m, m.schedule.wakeAt(this.#issuer.renewalInfo !== undefined) - now)
      } catch (err) {
        if (stop.aborted) return
        // Not an issuance failure (those are caught above): still back off, never spin.
        this.#recordFailure(m, err)
      }
    }
  }

  /**
   * Asks `mayRenew` (on-demand names) before a renewal; emits `renewal_declined` on the first denial
   * of a streak. True for a name without a certificate yet: that issuance was allowed at its handshake.
   */
  async #renewalAllowed(m: Managed, signal: AbortSignal): Promise<boolean> {
    const served = m.schedule.served
    if (m.mayRenew === undefined || served === undefined) return true
    const consent = await m.mayRenew(signal).catch((err: unknown): RenewalConsent => ({
      allowed: false,
      reason: `the check failed: ${err instanceof Error ? err.message : String(err)}`,
    }))
    if (signal.aborted) throw new AbortedError(signal.reason)
    if (consent.allowed) {
      m.declined = false
      return true
    }
    if (!m.declined) {
      m.declined = true
      const at = new Date(this.#clock.now())
      const certificate = summarize(served)
      this.#emit({
        type: 'renewal_declined',
        name: m.name,
        at,
        certificate,
        reason: consent.reason,
      })
    }
    return false
  }

  /** Until the next question about a declined name: the recheck interval, or its expiry if sooner. */
  #declinedWait(m: Managed): number {
    const left = (m.schedule.served?.notAfter.getTime() ?? 0) - this.#clock.now()
    return Math.max(0, Math.min(DECLINED_RECHECK_MS, left))
  }

  /**
   * Stops serving and managing a declined name once its certificate expired; true when it did. A
   * later handshake for the name goes through the on-demand policy again, as for a new name.
   */
  #releaseExpired(m: Managed): boolean {
    const served = m.schedule.served
    const now = this.#clock.now()
    if (served === undefined || served.notAfter.getTime() > now) return false
    this.#cache.delete(this.#entryId(m))
    this.#managed.delete(m.name)
    this.#emit({
      type: 'released',
      name: m.name,
      at: new Date(now),
      certificate: summarize(served),
    })
    return true
  }

  /**
   * Sleeps on the clock; returns early (without error) when `renewNow` wakes the loop, rejects when
   * the manager stops. The stop signal is linked by hand rather than with `AbortSignal.any`, which
   * would create a dependent signal per sleep for the life of the manager.
   */
  async #sleep(m: Managed, ms: number): Promise<void> {
    const stop = this.#stop.signal
    const wake = new AbortController()
    const onStop = (): void => wake.abort(stop.reason)
    stop.addEventListener('abort', onStop, { once: true })
    m.wake = wake
    try {
      await this.#clock.sleep(ms, wake.signal)
    } catch (err) {
      if (stop.aborted || !wake.signal.aborted) throw err
    } finally {
      stop.removeEventListener('abort', onStop)
      m.wake = undefined
    }
  }

  /** RFC 9773 §4.3: asks for the window when the last answer's Retry-After (at most 12 h) is over. */
  async #refreshAri(m: Managed, signal: AbortSignal): Promise<void> {
    const served = m.schedule.served
    const now = this.#clock.now()
    if (!this.#issuer.renewalInfo || served === undefined || !m.schedule.ariDue(now)) return
    try {
      const info = await this.#issuer.renewalInfo(served.certificatePem, { signal })
      const before = m.schedule.record(now)
      m.schedule.ariAnswered(served.serialHex, info, now)
      const after = m.schedule.record(now)
      if (after.renewAt !== before.renewAt || after.reason !== before.reason) {
        this.#records.write(m.name, after)
      }
    } catch (err) {
      if (signal.aborted) throw err
      m.schedule.ariFailed(now) // keep the window we had (or the lifetime rule); ask again later
    }
  }

  /** Runs one issuance for `m` after any already queued for it, within the concurrency limit. */
  #renew(m: Managed, force: boolean, signal: AbortSignal): Promise<IssueOutcome> {
    const run = m.busy.then(() => this.#renewExclusive(m, force, signal))
    m.busy = run.then(
      () => {},
      () => {},
    )
    return run
  }

  async #renewExclusive(m: Managed, force: boolean, signal: AbortSignal): Promise<IssueOutcome> {
    // Re-checked here: a queued call may find the work done by the one before it.
    if (!force && this.#clock.now() < m.schedule.dueAt) return 'not-due'
    await this.#limiter.acquire(signal)
    try {
      const previous = m.schedule.served
      const outcome = await this.#issueLocked(m, force, signal)
      if (outcome.adopted) this.#publish(m, outcome.served, true, { type: 'loaded' })
      else if (previous === undefined) this.#publish(m, outcome.served, true, { type: 'obtained' })
      else {
        const replaces = optional('replaces', outcome.replaces)
        const event = { type: 'renewed' as const, previous: summarize(previous), ...replaces }
        this.#publish(m, outcome.served, true, event)
      }
      return outcome.adopted ? 'adopted' : previous === undefined ? 'obtained' : 'renewed'
    } catch (err) {
      // Cancelled is not failed: nothing to retry.
      if (!signal.aborted) this.#recordFailure(m, err)
      throw err
    } finally {
      this.#limiter.release()
    }
  }

  /**
   * Issues and stores under the name's storage lock. Unless forced, first re-reads storage after
   * getting the lock (the Storage.lock contract): when another instance renewed the certificate
   * meanwhile, that one is `adopted` instead of issuing again. `replaces` is the old CertID
   * (RFC 9773 §5), which issuers without ARI ignore.
   */
  async #issueLocked(
    m: Managed,
    force: boolean,
    signal: AbortSignal,
  ): Promise<{ served: ServedCertificate; adopted: boolean; replaces?: string }> {
    const keys = certificateKeys(this.#issuer.key, m.name)
    const lock = await this.#storage.lock(`${keys.dir}/issue`, {
      waitMs: ISSUE_LOCK_WAIT_MS,
      signal,
    })
    try {
      const current = m.schedule.served
      if (!force) {
        const stored = await this.#loadStored(m)
        const now = new Date(this.#clock.now())
        if (stored && stored.serialHex !== current?.serialHex && !needsRenewal(stored, now)) {
          return { served: stored, adopted: true }
        }
      }
      const replaces = optional('replaces', current?.certId)
      const pair = await this.#issuer.issue(m.identifiers, { ...replaces, signal })
      const served = await storeIssued(
        this.#storage,
        this.#issuer.key,
        m.identifiers,
        pair,
        this.#clock.now(),
      )
      return { served, adopted: false, ...replaces }
    } finally {
      await lock.release().catch(() => {})
    }
  }

  #loadStored(m: Managed): Promise<ServedCertificate | undefined> {
    return loadServable(this.#storage, this.#issuer.key, m.name, this.#clock.now())
  }

  /** Swaps the served certificate in the cache (one entry id per name), then tells everyone. */
  #publish(
    m: Managed,
    served: ServedCertificate,
    issued: boolean,
    event: DistributiveOmit<
      Extract<ManagerEvent, { type: 'loaded' | 'obtained' | 'renewed' }>,
      'name' | 'at' | 'certificate'
    >,
  ): void {
    this.#cache.set({
      id: this.#entryId(m),
      names: m.identifiers.map((id) => id.value),
      notAfter: served.notAfter,
      certificatePem: served.certificatePem,
      privateKeyPem: served.privateKeyPem,
      source: this.#issuer.source ?? 'acme',
    })
    const now = this.#clock.now()
    m.schedule.serve(served, now, issued)
    // A load at start teaches nothing new and would erase the last run's error from the record.
    if (issued) this.#records.write(m.name, m.schedule.record(now))
    this.#emit({ ...event, name: m.name, at: new Date(now), certificate: summarize(served) })
    for (const check of [...m.waiters]) check()
  }

  #recordFailure(m: Managed, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    const now = this.#clock.now()
    const { attempt, nextAttempt } = m.schedule.fail(error, now)
    this.#records.write(m.name, m.schedule.record(now))
    this.#emit({
      type: 'renewal_failed',
      name: m.name,
      at: new Date(now),
      error,
      attempt,
      nextAttempt: new Date(nextAttempt),
      hasCertificate: m.schedule.served !== undefined,
    })
  }

  #emitExpiring(m: Managed, now: number): void {
    const served = m.schedule.served
    if (served === undefined) return
    this.#emit({
      type: 'expiring_soon',
      name: m.name,
      at: new Date(now),
      certificate: summarize(served),
    })
  }

  #servedEntry(m: Managed): CertEntry | undefined {
    const served = m.schedule.served
    if (served === undefined || served.notAfter.getTime() <= this.#clock.now()) return undefined
    return this.#cache.get(this.#entryId(m))
  }

  #entryId(m: Managed): string {
    return `managed:${this.#issuer.key}:${m.name}`
  }

  #withStop(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([this.#stop.signal, signal]) : this.#stop.signal
  }

  #get(name: string): Managed {
    const m = typeof name === 'string' ? this.#managed.get(managedKey(name)) : undefined
    if (m === undefined) {
      const known = [...this.#managed.keys()].join(', ')
      throw new RangeError(
        `${JSON.stringify(name)} is not managed here; list it in names (managed: ${known})`,
      )
    }
    return m
  }

  #emit(event: ManagerEvent): void {
    logManagerEvent(this.#logger, event)
    try {
      this.#onEvent?.(event)
    } catch {
      // A listener's bug must not stop renewals.
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The map key of a name as given by a caller: its parsed form, or the raw string when invalid. */
function managedKey(name: string): string {
  try {
    return parseIdentifier(name).value
  } catch {
    return name
  }
}

function notReady(m: Managed, timeoutMs: number): GatehouseError {
  const { lastError, failures } = m.schedule
  const last = lastError ? `; last error: ${lastError.message}` : ''
  return new GatehouseError(
    'ERR_TIMEOUT',
    `no certificate for ${m.name} within ${timeoutMs} ms (${failures} failed attempts${last}); see status() or the renewal_failed events`,
    lastError ? { cause: lastError } : {},
  )
}
