/**
 * When to renew a certificate, when to ask the CA again, and how long to back off after a failure.
 * Pure functions: time comes in as arguments, randomness through an injectable `random`, so the
 * manager's schedule can be table-tested and run months ahead on a fake clock.
 */
import { MAX_ARI_RETRY_MS, MIN_ARI_RETRY_MS, DEFAULT_ARI_RETRY_MS } from '../acme/renewal-info.js'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

/**
 * Renew when this fraction of the lifetime has elapsed (1/3 remaining), Let's Encrypt's advice for
 * 90-day certificates and what certmagic does: a month of slack for a failing CA or a broken setup.
 */
export const LIFETIME_RENEWAL_FRACTION = 2 / 3
/** Short-lived certificates renew at half-life, so a 6-day certificate still has 3 days of slack. */
export const SHORT_LIVED_RENEWAL_FRACTION = 1 / 2
/** Below this lifetime a certificate counts as short-lived (Let's Encrypt `shortlived` is ~6.7 days). */
export const SHORT_LIVED_THRESHOLD_MS = 10 * DAY_MS
/**
 * Jitter as a fraction of the lifetime, either way (±1%: ±21.6 h for 90 days, ±1.4 h for 6 days), so
 * a fleet that got its certificates in the same minute does not renew them in the same minute.
 */
export const RENEWAL_JITTER_FRACTION = 0.01
/** Ask for renewal info at least twice a day (RFC 9773 §4.3 recommends "at least once per day"). */
export const MAX_ARI_CHECK_INTERVAL_MS = 12 * HOUR_MS
/** Back-off after consecutive failures 1, 2, 3 (from issue 3); from the 4th on, {@link RETRY_DAILY_MS}. */
export const RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  1 * MINUTE_MS,
  10 * MINUTE_MS,
  100 * MINUTE_MS,
])
/** Back-off once the schedule is used up: once a day, so a broken setup does not hammer the CA. */
export const RETRY_DAILY_MS = DAY_MS
/** Largest allowed retry jitter fraction: more would let retry 2 come before retry 1. */
export const MAX_RETRY_JITTER = 0.5
/** "Expiring soon" when less than this fraction of the lifetime is left… */
export const EXPIRING_SOON_FRACTION = 0.1
/** …or less than a day, whichever is more… */
export const EXPIRING_SOON_MIN_MS = DAY_MS
/** …but never more than a quarter of the lifetime, so a healthy short-lived cert is not flagged. */
export const EXPIRING_SOON_MAX_FRACTION = 0.25

/** The validity period of a certificate (RFC 5280 §4.1.2.5). */
export interface CertificateValidity {
  notBefore: Date
  notAfter: Date
}

/** An ARI suggested renewal window (RFC 9773 §4.2). */
export interface RenewalWindow {
  start: Date
  end: Date
}

export interface RenewalOptions {
  /** The CA's suggested window, when it offers ARI; it takes precedence over the lifetime rule. */
  ari?: RenewalWindow
  /** Uniform in [0, 1), like (and by default) `Math.random`. */
  random?: () => number
  /** The current time; with it, an ARI window already over yields its start (renew now). */
  now?: Date
}

export interface RenewalTime {
  at: Date
  reason: 'ari' | 'lifetime'
}

/**
 * When to renew `cert`.
 *
 * With ARI: a uniformly random time inside the suggested window (RFC 9773 §4.2), spreading a CA's
 * load; if the window has already ended (given `now`), its start, which the caller reads as "renew
 * now" (RFC 9773 §4.2: "if the selected time is in the past, attempt renewal immediately").
 *
 * Without: at {@link LIFETIME_RENEWAL_FRACTION} of the lifetime ({@link SHORT_LIVED_RENEWAL_FRACTION}
 * below {@link SHORT_LIVED_THRESHOLD_MS}), moved by up to ±{@link RENEWAL_JITTER_FRACTION} of the
 * lifetime and kept inside [notBefore, notAfter].
 */
export function renewalTime(cert: CertificateValidity, options: RenewalOptions = {}): RenewalTime {
  const { notBefore, notAfter } = validity(cert)
  const random = options.random ?? Math.random
  if (options.ari !== undefined) {
    const start = checkDate(options.ari.start, 'ari.start')
    const end = checkDate(options.ari.end, 'ari.end')
    if (end < start) {
      throw new RangeError(
        `ARI window ends (${options.ari.end.toISOString()}) before it starts; pass an ordered window`,
      )
    }
    const now = options.now === undefined ? undefined : checkDate(options.now, 'now')
    if (now !== undefined && end <= now) return { at: new Date(start), reason: 'ari' }
    return { at: new Date(start + Math.floor(draw(random) * (end - start))), reason: 'ari' }
  }
  const lifetime = notAfter - notBefore
  const fraction =
    lifetime < SHORT_LIVED_THRESHOLD_MS ? SHORT_LIVED_RENEWAL_FRACTION : LIFETIME_RENEWAL_FRACTION
  const jitter = (draw(random) * 2 - 1) * RENEWAL_JITTER_FRACTION * lifetime
  const at = Math.round(notBefore + fraction * lifetime + jitter)
  return { at: new Date(Math.min(notAfter, Math.max(notBefore, at))), reason: 'lifetime' }
}

/**
 * Whether `cert` is due for renewal at `now`. Deterministic unless `options.random` is given: by
 * default it uses the unjittered point (and the middle of an ARI window), so repeated checks agree.
 * A certificate past its ARI window or expired is always due.
 */
export function needsRenewal(
  cert: CertificateValidity,
  now: Date,
  options: RenewalOptions = {},
): boolean {
  const at = renewalTime(cert, { random: () => 0.5, ...options, now }).at
  return checkDate(now, 'now') >= at.getTime()
}

/**
 * Whether `cert` is close enough to expiry to warn about (the "expiring soon" event): less than
 * max({@link EXPIRING_SOON_FRACTION} of the lifetime, {@link EXPIRING_SOON_MIN_MS}) left, capped at
 * {@link EXPIRING_SOON_MAX_FRACTION} of the lifetime. 90 days → 9 days; 6 days → 24 h; 1 day → 6 h.
 * Renewal normally happens well before, so this firing means renewals are failing.
 */
export function isExpiringSoon(cert: CertificateValidity, now: Date): boolean {
  const { notBefore, notAfter } = validity(cert)
  const lifetime = notAfter - notBefore
  const threshold = Math.min(
    Math.max(EXPIRING_SOON_FRACTION * lifetime, EXPIRING_SOON_MIN_MS),
    EXPIRING_SOON_MAX_FRACTION * lifetime,
  )
  return notAfter - checkDate(now, 'now') < threshold
}

/**
 * When to fetch renewal info again after fetching it at `lastCheck`: the CA's `Retry-After`
 * (6 h when absent) clamped to [1 min, 24 h] (RFC 9773 §4.3), and never later than
 * {@link MAX_ARI_CHECK_INTERVAL_MS}, so a revoked-and-rewindowed certificate is noticed within 12 h.
 */
export function nextAriCheck(lastCheck: Date, retryAfterMs?: number): Date {
  const last = checkDate(lastCheck, 'lastCheck')
  let delay = DEFAULT_ARI_RETRY_MS
  if (retryAfterMs !== undefined) {
    if (Number.isNaN(retryAfterMs) || typeof retryAfterMs !== 'number') {
      throw new TypeError(`retryAfterMs ${String(retryAfterMs)} is not a number of milliseconds`)
    }
    delay = Math.min(MAX_ARI_RETRY_MS, Math.max(MIN_ARI_RETRY_MS, retryAfterMs))
  }
  return new Date(last + Math.min(delay, MAX_ARI_CHECK_INTERVAL_MS))
}

export interface RetryDelayOptions {
  /** Fraction of the delay to jitter by, either way; default 0 (none), at most {@link MAX_RETRY_JITTER}. */
  jitter?: number
  /** Uniform in [0, 1), like (and by default) `Math.random`. */
  random?: () => number
}

/**
 * How long to wait after the `failures`-th consecutive failed renewal (1-based): 1 min, 10 min,
 * 100 min, then daily ({@link RETRY_SCHEDULE_MS}). The current certificate keeps serving meanwhile.
 */
export function retryDelay(failures: number, options: RetryDelayOptions = {}): number {
  if (!Number.isInteger(failures) || failures < 1) {
    throw new RangeError(`failures ${failures} must be an integer >= 1 (the consecutive failures)`)
  }
  const jitter = options.jitter ?? 0
  if (!(jitter >= 0 && jitter <= MAX_RETRY_JITTER)) {
    throw new RangeError(`retry jitter ${jitter} is out of range; use 0 to ${MAX_RETRY_JITTER}`)
  }
  const base = RETRY_SCHEDULE_MS[failures - 1] ?? RETRY_DAILY_MS
  if (jitter === 0) return base
  return Math.round(base * (1 + (draw(options.random ?? Math.random) * 2 - 1) * jitter))
}

function draw(random: () => number): number {
  const r = random()
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() returned ${r}; it must be in [0, 1)`)
  return r
}

function checkDate(d: Date, what: string): number {
  const ms = d instanceof Date ? d.getTime() : NaN
  if (Number.isNaN(ms)) throw new TypeError(`${what} ${String(d)} is not a valid Date`)
  return ms
}

function validity(cert: CertificateValidity): { notBefore: number; notAfter: number } {
  const notBefore = checkDate(cert.notBefore, 'notBefore')
  const notAfter = checkDate(cert.notAfter, 'notAfter')
  if (notAfter <= notBefore) {
    throw new RangeError(
      `certificate notAfter ${cert.notAfter.toISOString()} is not after notBefore ${cert.notBefore.toISOString()}`,
    )
  }
  return { notBefore, notAfter }
}
