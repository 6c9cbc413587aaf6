import type { Identifier } from '../acme/types.js'
import { systemClock, type Clock } from '../clock.js'
import { AbortedError, GatehouseError } from '../errors.js'
import { parseIdentifier } from '../issuance/identifiers.js'
import type { CertEntry, CertificateCache } from '../server/certificate-cache.js'
import type { Storage } from '../storage/storage.js'
import { describeCertificate, loadCertificate, saveCertificate } from './certificate-store.js'
import { IssuanceLimiter } from './issuance-limiter.js'
import type { Issuer } from './issuer.js'
import type { CertificateSummary, ManagerEvent } from './manager-events.js'
import {
  checkManagerOptions,
  DEFAULT_MAX_CONCURRENT_ISSUANCE,
  type CertificateManagerOptions,
} from './manager-options.js'
import {
  inspectCertificate,
  optional,
  summarize,
  type ServedCertificate,
} from './served-certificate.js'
import {
  isExpiringSoon,
  needsRenewal,
  nextAriCheck,
  renewalTime,
  retryDelay,
} from './renewal-policy.js'
import { certificateKeys } from './storage-keys.js'

/** Default for the `timeoutMs` of {@link CertificateManager.ready}: how long a handshake may wait. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000
/**
 * A renewal is never scheduled sooner than this after the last successful issuance of the same
 * name. Without it, a certificate that looks due the moment it arrives (the CA's clock ahead of or
 * behind ours, a CA stamping a short validity, an ARI window the CA has not moved yet) would be
 * renewed again at once, in a loop, burning the CA's rate limits (Let's Encrypt: 5 duplicate
 * certificates a week). One minute caps such a loop at 60 orders an hour while still renewing
 * promptly a certificate that the CA revoked and re-windowed.
 */
export const MIN_RENEWAL_INTERVAL_MS = 60_000
/** How long issuance waits for the storage lock held by another process issuing the same name. */
export const ISSUE_LOCK_WAIT_MS = 5 * 60_000

export type { CertificateManagerOptions }

/** One name as `status()` reports it: which certificate, when it renews, what failed. */
export interface ManagedStatus {
  name: string
  serialHex?: string
  notAfter?: Date
  /** When the manager will next try to issue (a retry time after failures). */
  nextRenewal?: Date
  /** Whether `nextRenewal` comes from the CA's ARI window or from the certificate's lifetime. */
  reason: 'ari' | 'lifetime'
  lastError?: Error
  /** Consecutive failed issuances. */
  failures: number
  ariExplanationURL?: string
}

interface Managed {
  readonly name: string
  readonly identifiers: Identifier[]
  served?: ServedCertificate
  failures: number
  lastError?: Error | undefined
  /** Set while failing: when to try again (ms, manager clock). */
  retryAt?: number | undefined
  /** When the served certificate is due, by `reason`. */
  renewAt?: number
  reason: 'ari' | 'lifetime'
  ari?: { start: number; end: number; explanationURL?: string } | undefined
  /** When to ask the issuer for renewal info next (ms); 0 = at the next look. */
  ariCheckAt: number
  lastIssuedAt?: number
  /** Serial of the certificate `expiring_soon` was last sent for, so it is sent once per certificate. */
  warnedSerial?: string
  /** Tail of this name's issuance queue: one issuance per name at a time. */
  busy: Promise<void>
  /** Aborted to make a sleeping loop look again (after `renewNow`). */
  wake?: AbortController | undefined
  readonly waiters: Set<() => void>
}

/**
 * Obtains, serves and renews one certificate per configured name (issue 3 §3), publishing each into
 * a {@link CertificateCache} that the TLS `SNICallback` reads.
 *
 * Schedule, per name, all on the injected clock: when the issuer offers ARI, a uniformly random time
 * inside the CA's suggested window (RFC 9773 §4.2), asked again at least every 12 hours; otherwise
 * at 2/3 of the lifetime (1/2 below 10 days), jittered. Failures are retried after 1 min, 10 min,
 * 100 min, then daily, and the old certificate keeps serving until a new one is in. Across
 * processes, issuance holds the name's storage lock and re-reads storage after getting it, so a
 * certificate another instance just renewed is loaded instead of issued again.
 */
export class CertificateManager {
  readonly #storage: Storage
  readonly #issuer: Issuer
  readonly #cache: CertificateCache
  readonly #clock: Clock
  readonly #random: () => number
  readonly #onEvent: ((event: ManagerEvent) => void) | undefined
  readonly #limiter: IssuanceLimiter
  readonly #managed = new Map<string, Managed>()
  readonly #stop = new AbortController()
  readonly #loops: Promise<void>[] = []
  #started: Promise<void> | undefined

  constructor(options: CertificateManagerOptions) {
    checkManagerOptions(options)
    this.#storage = options.storage
    this.#issuer = options.issuer
    this.#cache = options.cache
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#onEvent = options.onEvent
    this.#limiter = new IssuanceLimiter(
      options.maxConcurrentIssuance ?? DEFAULT_MAX_CONCURRENT_ISSUANCE,
    )
    for (const raw of options.names) {
      const identifier = parseIdentifier(raw)
      if (this.#managed.has(identifier.value)) continue
      this.#managed.set(identifier.value, {
        name: identifier.value,
        identifiers: [identifier],
        failures: 0,
        reason: 'lifetime',
        ariCheckAt: 0,
        busy: Promise.resolve(),
        waiters: new Set(),
      })
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
    const signal = this.#stop.signal
    await Promise.all(
      [...this.#managed.values()].map(async (m) => {
        try {
          const stored = await this.#loadStored(m, signal)
          if (stored !== undefined) this.#publish(m, stored, { type: 'loaded' })
        } catch (err) {
          m.lastError = asError(err)
        }
      }),
    )
    if (signal.aborted) return
    for (const m of this.#managed.values()) this.#loops.push(this.#run(m))
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
    const entry = this.#servedEntry(m)
    if (entry !== undefined) return Promise.resolve(entry)
    const signal = AbortSignal.any([this.#stop.signal, ...(options.signal ? [options.signal] : [])])
    if (signal.aborted) return Promise.reject(new AbortedError(signal.reason))
    return new Promise<CertEntry>((resolve, reject) => {
      const timer = new AbortController()
      const finish = (settle: () => void): void => {
        m.waiters.delete(check)
        signal.removeEventListener('abort', onAbort)
        timer.abort()
        settle()
      }
      const check = (): void => {
        const served = this.#servedEntry(m)
        if (served !== undefined) finish(() => resolve(served))
      }
      const onAbort = (): void => finish(() => reject(new AbortedError(signal.reason)))
      m.waiters.add(check)
      signal.addEventListener('abort', onAbort, { once: true })
      this.#clock.sleep(timeoutMs, timer.signal).then(
        () => finish(() => reject(notReady(m, timeoutMs))),
        () => {},
      )
    })
  }

  /**
   * Renews `name` now if it is due (missing, past its renewal time, or its retry time), as
   * certmagic's `RenewCertAsync`; with `force`, issues a new certificate whatever the schedule and
   * storage say. Rejects with the issuance error (which is also recorded and retried as usual).
   */
  async renewNow(
    name: string,
    options: { force?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const m = this.#get(name)
    const signal = AbortSignal.any([this.#stop.signal, ...(options.signal ? [options.signal] : [])])
    if (signal.aborted) throw new AbortedError(signal.reason)
    try {
      await this.#renew(m, options.force === true, signal)
    } finally {
      m.wake?.abort()
    }
  }

  /** Per name: the served certificate, the next renewal and why, and what failed. */
  status(): ManagedStatus[] {
    return [...this.#managed.values()].map((m) => {
      const due = m.served === undefined && m.retryAt === undefined ? undefined : this.#dueAt(m)
      return {
        name: m.name,
        ...(m.served ? { serialHex: m.served.serialHex, notAfter: m.served.notAfter } : {}),
        ...(due !== undefined ? { nextRenewal: new Date(due) } : {}),
        reason: m.reason,
        ...(m.lastError ? { lastError: m.lastError } : {}),
        failures: m.failures,
        ...(m.ari?.explanationURL ? { ariExplanationURL: m.ari.explanationURL } : {}),
      }
    })
  }

  /** Cancels timers and in-flight issuance; resolves once every loop and issuance has ended. */
  async stop(): Promise<void> {
    this.#stop.abort(new AbortedError('the certificate manager was stopped'))
    await this.#started?.catch(() => {})
    await Promise.allSettled([...this.#loops, ...[...this.#managed.values()].map((m) => m.busy)])
  }

  /** One name's loop: look (ARI, expiry), issue when due, else sleep until the next thing to do. */
  async #run(m: Managed): Promise<void> {
    const stop = this.#stop.signal
    while (!stop.aborted) {
      try {
        await this.#refreshAri(m, stop)
        this.#warnIfExpiring(m)
        const now = this.#clock.now()
        const due = this.#dueAt(m)
        if (now >= due) {
          // Failures are recorded (with their retry time) by #renew; the loop just looks again.
          await this.#renew(m, false, stop).catch(() => {})
          continue
        }
        const ariAt = this.#issuer.renewalInfo && m.served ? m.ariCheckAt : Infinity
        await this.#sleep(m, Math.min(due, ariAt) - now)
      } catch (err) {
        if (stop.aborted) return
        // Not an issuance failure (those are caught above): still back off, never spin.
        this.#recordFailure(m, err)
      }
    }
  }

  async #sleep(m: Managed, ms: number): Promise<void> {
    const wake = new AbortController()
    m.wake = wake
    try {
      await this.#clock.sleep(ms, AbortSignal.any([this.#stop.signal, wake.signal]))
    } catch (err) {
      if (!wake.signal.aborted || this.#stop.signal.aborted) throw err
    } finally {
      m.wake = undefined
    }
  }

  /** When the next issuance for `m` is due (ms): a retry time, now when missing, else the renewal time. */
  #dueAt(m: Managed): number {
    if (m.retryAt !== undefined) return m.retryAt
    if (m.served === undefined) return -Infinity
    const at = m.renewAt ?? m.served.notAfter.getTime()
    return Math.max(at, (m.lastIssuedAt ?? -Infinity) + MIN_RENEWAL_INTERVAL_MS)
  }

  /** RFC 9773 §4.3: asks for the window when the last answer's Retry-After (at most 12 h) is over. */
  async #refreshAri(m: Managed, signal: AbortSignal): Promise<void> {
    const served = m.served
    const now = this.#clock.now()
    if (!this.#issuer.renewalInfo || served === undefined || now < m.ariCheckAt) return
    let info
    try {
      info = await this.#issuer.renewalInfo(served.certificatePem, { signal })
    } catch (err) {
      if (signal.aborted) throw err
      // Keep the window we had (or the lifetime rule) and ask again later.
      m.ariCheckAt = nextAriCheck(new Date(now)).getTime()
      return
    }
    m.ariCheckAt = nextAriCheck(new Date(now), info?.retryAfterMs).getTime()
    if (m.served !== served) return
    const window = info && { start: info.window.start.getTime(), end: info.window.end.getTime() }
    if (window?.start === m.ari?.start && window?.end === m.ari?.end) return
    m.ari = info && window && { ...window, ...optional('explanationURL', info.explanationURL) }
    const at = renewalTime(served, {
      ...(info ? { ari: info.window, now: new Date(now) } : {}),
      random: this.#random,
    })
    m.renewAt = at.at.getTime()
    m.reason = at.reason
  }

  #warnIfExpiring(m: Managed): void {
    const served = m.served
    if (served === undefined || m.warnedSerial === served.serialHex) return
    const now = this.#clock.now()
    if (!isExpiringSoon(served, new Date(now))) return
    m.warnedSerial = served.serialHex
    this.#emit({
      type: 'expiring_soon',
      name: m.name,
      at: new Date(now),
      certificate: summarize(served),
    })
  }

  /** Runs one issuance for `m` after any already queued for it, within the concurrency limit. */
  #renew(m: Managed, force: boolean, signal: AbortSignal): Promise<void> {
    const run = m.busy.then(() => this.#renewExclusive(m, force, signal))
    m.busy = run.catch(() => {})
    return run
  }

  async #renewExclusive(m: Managed, force: boolean, signal: AbortSignal): Promise<void> {
    // Re-checked here: a queued call may find the work done by the one before it.
    if (!force && this.#clock.now() < this.#dueAt(m)) return
    await this.#limiter.acquire(signal)
    try {
      const previous = m.served
      const outcome = await this.#issueLocked(m, force, signal)
      m.failures = 0
      m.retryAt = undefined
      m.lastError = undefined
      m.lastIssuedAt = this.#clock.now()
      if (outcome.adopted) this.#publish(m, outcome.served, { type: 'loaded' })
      else if (previous === undefined) this.#publish(m, outcome.served, { type: 'obtained' })
      else {
        const previousSummary = summarize(previous)
        const replaces = optional('replaces', outcome.replaces)
        this.#publish(m, outcome.served, {
          type: 'renewed',
          previous: previousSummary,
          ...replaces,
        })
      }
    } catch (err) {
      // Cancelled is not failed: nothing to retry on the CA's account.
      if (!signal.aborted) this.#recordFailure(m, err)
      throw err
    } finally {
      this.#limiter.release()
    }
  }

  /**
   * Issues and stores under the name's storage lock. Unless forced, first re-reads storage after
   * getting the lock (the Storage.lock contract): when another instance renewed the certificate
   * meanwhile, that one is `adopted` instead of issuing again.
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
      if (!force) {
        const stored = await this.#loadStored(m, signal)
        const now = new Date(this.#clock.now())
        if (stored && stored.serialHex !== m.served?.serialHex && !needsRenewal(stored, now)) {
          return { served: stored, adopted: true }
        }
      }
      const replaces = m.served?.certId
      const pair = await this.#issuer.issue(m.identifiers, {
        ...optional('replaces', replaces),
        signal,
      })
      const served = inspectCertificate(pair.certificatePem, pair.privateKeyPem, this.#issuer.key)
      await saveCertificate(this.#storage, {
        meta: describeCertificate(pair.certificatePem, {
          name: m.name,
          identifiers: m.identifiers,
          directoryUrl: this.#issuer.key,
          obtainedAt: new Date(this.#clock.now()),
          orderUrl: '',
          certificateUrl: '',
          ...optional('certId', served.certId),
        }),
        certificatePem: served.certificatePem,
        privateKeyPem: served.privateKeyPem,
      })
      return { served, adopted: false, ...optional('replaces', replaces) }
    } finally {
      await lock.release().catch(() => {})
    }
  }

  /** The stored certificate for `m` when it is usable now (parses, matches its key, not expired). */
  async #loadStored(m: Managed, signal: AbortSignal): Promise<ServedCertificate | undefined> {
    const stored = await loadCertificate(this.#storage, this.#issuer.key, m.name)
    if (signal.aborted) throw new AbortedError(signal.reason)
    if (stored === undefined) return undefined
    let served: ServedCertificate
    try {
      served = inspectCertificate(stored.certificatePem, stored.privateKeyPem, stored.keys.cert)
    } catch {
      return undefined // corrupt or mismatched: issue a new one, which overwrites it
    }
    return served.notAfter.getTime() > this.#clock.now() ? served : undefined
  }

  #publish(
    m: Managed,
    served: ServedCertificate,
    event:
      | { type: 'loaded' | 'obtained' }
      | { type: 'renewed'; previous: CertificateSummary; replaces?: string },
  ): void {
    this.#cache.set({
      id: this.#entryId(m),
      names: m.identifiers.map((id) => id.value),
      notAfter: served.notAfter,
      certificatePem: served.certificatePem,
      privateKeyPem: served.privateKeyPem,
      source: this.#issuer.source ?? 'acme',
    })
    m.served = served
    m.ari = undefined
    m.ariCheckAt = 0
    const at = renewalTime(served, { random: this.#random })
    m.renewAt = at.at.getTime()
    m.reason = at.reason
    this.#emit({
      ...event,
      name: m.name,
      at: new Date(this.#clock.now()),
      certificate: summarize(served),
    })
    for (const check of [...m.waiters]) check()
  }

  #recordFailure(m: Managed, err: unknown): void {
    m.failures++
    m.lastError = asError(err)
    const now = this.#clock.now()
    m.retryAt = now + retryDelay(m.failures)
    this.#emit({
      type: 'renewal_failed',
      name: m.name,
      at: new Date(now),
      error: m.lastError,
      attempt: m.failures,
      nextAttempt: new Date(m.retryAt),
      hasCertificate: m.served !== undefined,
    })
  }

  #servedEntry(m: Managed): CertEntry | undefined {
    if (m.served === undefined || m.served.notAfter.getTime() <= this.#clock.now()) return undefined
    return this.#cache.get(this.#entryId(m))
  }

  #entryId(m: Managed): string {
    return `managed:${this.#issuer.key}:${m.name}`
  }

  #get(name: string): Managed {
    const m = typeof name === 'string' ? this.#managed.get(parseIdentifier(name).value) : undefined
    if (m === undefined) {
      throw new RangeError(
        `${JSON.stringify(name)} is not managed here; manage it by listing it in names (${[...this.#managed.keys()].join(', ')})`,
      )
    }
    return m
  }

  #emit(event: ManagerEvent): void {
    try {
      this.#onEvent?.(event)
    } catch {
      // A listener's bug must not stop renewals.
    }
  }
}

function notReady(m: Managed, timeoutMs: number): GatehouseError {
  const last = m.lastError ? `; last error: ${m.lastError.message}` : ''
  return new GatehouseError(
    'ERR_TIMEOUT',
    `no certificate for ${m.name} within ${timeoutMs} ms (${m.failures} failed attempts${last}); see status() or the renewal_failed events`,
    m.lastError ? { cause: m.lastError } : {},
  )
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
