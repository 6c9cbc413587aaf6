import type { ErrorCode } from '../errors.js'
import type { IssuerRenewalInfo } from './issuer.js'
import type { RenewalRecord } from './renewal-record.js'
import { isExpiringSoon, nextAriCheck, renewalTime, retryDelay } from './renewal-policy.js'
import type { ServedCertificate } from './served-certificate.js'

/**
 * A renewal is never scheduled sooner than this after the last successful issuance of the same
 * name. Without it, a certificate that looks due the moment it arrives (the CA's clock ahead of or
 * behind ours, a CA stamping a short validity, an ARI window the CA has not moved yet) would be
 * renewed again at once, in a loop, burning the CA's rate limits (Let's Encrypt: 5 duplicate
 * certificates a week). One minute caps such a loop at 60 orders an hour while still renewing
 * promptly a certificate that the CA revoked and re-windowed.
 */
export const MIN_RENEWAL_INTERVAL_MS = 60_000

/**
 * The renewal state of one managed name, as a pure state machine: every method takes the time, so
 * the whole schedule is table-testable without a clock. The manager feeds it what happened
 * (certificate in, issuance failed, ARI answered) and asks it when to act next.
 */
export class RenewalSchedule {
  readonly #random: () => number
  #served: ServedCertificate | undefined
  #failures = 0
  #lastError: Error | undefined
  #failedAt: number | undefined
  /** Set while failing: when to try again (ms). */
  #retryAt: number | undefined
  /** When the served certificate is due, by `#reason`. */
  #renewAt = -Infinity
  #reason: 'ari' | 'lifetime' = 'lifetime'
  #ari: { start: number; end: number; explanationURL?: string } | undefined
  /** When to ask for renewal info next (ms); -Infinity = at the next look. */
  #ariCheckAt = -Infinity
  #lastIssuedAt = -Infinity
  /** Serial `expiring_soon` was reported for, so it is reported once per certificate. */
  #warnedSerial: string | undefined

  /** @param random uniform in [0, 1), for the lifetime jitter and the draw inside an ARI window. */
  constructor(random: () => number) {
    this.#random = random
  }

  get served(): ServedCertificate | undefined {
    return this.#served
  }

  get failures(): number {
    return this.#failures
  }

  get lastError(): Error | undefined {
    return this.#lastError
  }

  get reason(): 'ari' | 'lifetime' {
    return this.#reason
  }

  get ariExplanationURL(): string | undefined {
    return this.#ari?.explanationURL
  }

  /**
   * When the next issuance is due (ms): the retry time while failing, at once when there is no
   * certificate, else the renewal time but never within {@link MIN_RENEWAL_INTERVAL_MS} of the last
   * issuance.
   */
  get dueAt(): number {
    if (this.#retryAt !== undefined) return this.#retryAt
    if (this.#served === undefined) return -Infinity
    return Math.max(this.#renewAt, this.#lastIssuedAt + MIN_RENEWAL_INTERVAL_MS)
  }

  /** When the loop should look again: the due time, or an earlier ARI check when `withAri`. */
  wakeAt(withAri: boolean): number {
    const ari = withAri && this.#served !== undefined ? this.#ariCheckAt : Infinity
    return Math.min(this.dueAt, ari)
  }

  /** Whether renewal info should be fetched now (RFC 9773 §4.3: after the last Retry-After). */
  ariDue(now: number): boolean {
    return this.#served !== undefined && now >= this.#ariCheckAt
  }

  /**
   * A certificate is now served. `issued` says it came from a successful issuance (ours or, found
   * under the lock, another instance's), which clears failures and starts the loop guard; a
   * certificate loaded at start does not. The ARI window of the previous certificate is dropped:
   * the new one has its own, asked for at the next look.
   */
  serve(served: ServedCertificate, now: number, issued: boolean): void {
    this.#served = served
    if (issued) {
      this.#failures = 0
      this.#lastError = undefined
      this.#failedAt = undefined
      this.#retryAt = undefined
      this.#lastIssuedAt = now
    }
    this.#ari = undefined
    this.#ariCheckAt = -Infinity
    const at = renewalTime(served, { random: this.#random })
    this.#renewAt = at.at.getTime()
    this.#reason = at.reason
  }

  /** An issuance failed: back off 1 min, 10 min, 100 min, then daily. Returns the attempt number. */
  fail(error: Error, now: number): { attempt: number; nextAttempt: number } {
    this.#failures++
    this.#lastError = error
    this.#failedAt = now
    this.#retryAt = now + retryDelay(this.#failures)
    return { attempt: this.#failures, nextAttempt: this.#retryAt }
  }

  /**
   * The issuer answered a renewal-info request made at `now` for `forSerial`. `undefined` means no
   * ARI: the lifetime rule applies. A window drawn once is kept until the CA moves it, so asking
   * twice a day does not re-roll the renewal time.
   */
  ariAnswered(forSerial: string, info: IssuerRenewalInfo | undefined, now: number): void {
    this.#ariCheckAt = nextAriCheck(new Date(now), info?.retryAfterMs).getTime()
    const served = this.#served
    if (served === undefined || served.serialHex !== forSerial) return
    const start = info?.window.start.getTime()
    const end = info?.window.end.getTime()
    if (start === this.#ari?.start && end === this.#ari?.end) return
    this.#ari =
      info && start !== undefined && end !== undefined
        ? { start, end, ...(info.explanationURL ? { explanationURL: info.explanationURL } : {}) }
        : undefined
    const at = renewalTime(served, {
      ...(info ? { ari: info.window, now: new Date(now) } : {}),
      random: this.#random,
    })
    this.#renewAt = at.at.getTime()
    this.#reason = at.reason
  }

  /** Asking for renewal info failed: keep what we had and ask again later (6 h). */
  ariFailed(now: number): void {
    this.#ariCheckAt = nextAriCheck(new Date(now)).getTime()
  }

  /** What an operator should see of this state (see {@link RenewalRecord}), as of `now`. */
  record(now: number): RenewalRecord {
    const served = this.#served
    const renewAt = served === undefined ? undefined : this.#renewAt
    const ari = this.#ari
    const error = this.#lastError
    const code = (error as { code?: ErrorCode } | undefined)?.code
    return {
      ...(served ? { serialHex: served.serialHex } : {}),
      ...(renewAt !== undefined && Number.isFinite(renewAt) ? { renewAt: iso(renewAt) } : {}),
      reason: this.#reason,
      ...(ari
        ? {
            ari: {
              start: iso(ari.start),
              end: iso(ari.end),
              ...(ari.explanationURL ? { explanationURL: ari.explanationURL } : {}),
            },
          }
        : {}),
      failures: this.#failures,
      ...(error
        ? {
            lastError: {
              message: error.message,
              ...(typeof code === 'string' ? { code } : {}),
              at: iso(this.#failedAt ?? now),
            },
          }
        : {}),
      ...(this.#retryAt !== undefined ? { nextAttempt: iso(this.#retryAt) } : {}),
      updatedAt: iso(now),
    }
  }

  /** True once per certificate, the first time it is found expiring soon (see `isExpiringSoon`). */
  expiringSoon(now: number): boolean {
    const served = this.#served
    if (served === undefined || this.#warnedSerial === served.serialHex) return false
    if (!isExpiringSoon(served, new Date(now))) return false
    this.#warnedSerial = served.serialHex
    return true
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
