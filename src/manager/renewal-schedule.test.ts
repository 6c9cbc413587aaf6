import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MIN_RENEWAL_INTERVAL_MS, RenewalSchedule } from './renewal-schedule.js'
import type { ServedCertificate } from './served-certificate.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const T0 = Date.UTC(2025, 0, 1)

function cert(serialHex: string, startMs: number, days: number): ServedCertificate {
  return {
    serialHex,
    notBefore: new Date(startMs),
    notAfter: new Date(startMs + days * DAY),
    certificatePem: '',
    privateKeyPem: '',
  }
}

const middle = (): number => 0.5

test('no certificate: due at once, and no ARI check without one', () => {
  const s = new RenewalSchedule(middle)
  assert.equal(s.dueAt, -Infinity)
  assert.equal(s.ariDue(T0), false)
  assert.equal(s.wakeAt(true), -Infinity)
  assert.equal(s.served, undefined)
})

test('lifetime: 2/3 of 90 days, 1/2 of 6 days (unjittered at random 0.5)', () => {
  for (const [days, fraction] of [
    [90, 2 / 3],
    [6, 1 / 2],
  ] as const) {
    const s = new RenewalSchedule(middle)
    s.serve(cert('01', T0, days), T0, false)
    assert.equal(s.dueAt, Math.round(T0 + fraction * days * DAY))
    assert.equal(s.reason, 'lifetime')
  }
})

test('the loop guard: never due within MIN_RENEWAL_INTERVAL_MS of the last issuance', () => {
  const s = new RenewalSchedule(middle)
  // A certificate that is already past its renewal time when it arrives (a skewed CA clock).
  const now = T0 + 10 * DAY
  s.serve(cert('01', T0, 6), now, true)
  assert.equal(s.dueAt, now + MIN_RENEWAL_INTERVAL_MS)
  // Loaded from storage (not issued now): no guard, due at its renewal time.
  const loaded = new RenewalSchedule(middle)
  loaded.serve(cert('01', T0, 6), now, false)
  assert.equal(loaded.dueAt, T0 + 3 * DAY)
})

test('failures back off 1 min, 10 min, 100 min, then daily; a success clears them', () => {
  const s = new RenewalSchedule(middle)
  s.serve(cert('01', T0, 90), T0, false)
  const delays: number[] = []
  let now = T0 + 60 * DAY
  for (let i = 1; i <= 6; i++) {
    const { attempt, nextAttempt } = s.fail(new Error(`boom ${i}`), now)
    assert.equal(attempt, i)
    assert.equal(s.dueAt, nextAttempt)
    delays.push(nextAttempt - now)
    now = nextAttempt
  }
  assert.deepEqual(delays, [MINUTE, 10 * MINUTE, 100 * MINUTE, DAY, DAY, DAY])
  assert.equal(s.failures, 6)
  assert.equal(s.lastError?.message, 'boom 6')
  s.serve(cert('02', now, 90), now, true)
  assert.equal(s.failures, 0)
  assert.equal(s.lastError, undefined)
  assert.equal(s.dueAt, Math.round(now + (2 / 3) * 90 * DAY))
})

test('ARI: a window is drawn once, kept until the CA moves it, and dropped with the certificate', () => {
  let draws = 0
  const s = new RenewalSchedule(() => (draws++, 0.25))
  s.serve(cert('01', T0, 90), T0, false)
  assert.equal(draws, 1) // the lifetime jitter
  const window = { start: new Date(T0 + 30 * DAY), end: new Date(T0 + 31 * DAY) }
  const now = T0 + DAY
  assert.equal(s.ariDue(now), true)
  s.ariAnswered('01', { window, explanationURL: 'https://ca/why', retryAfterMs: 6 * HOUR }, now)
  assert.equal(s.reason, 'ari')
  assert.equal(s.dueAt, T0 + 30 * DAY + DAY / 4)
  assert.equal(s.ariExplanationURL, 'https://ca/why')
  assert.equal(s.ariDue(now + 6 * HOUR - 1), false)
  assert.equal(s.ariDue(now + 6 * HOUR), true)
  assert.equal(s.wakeAt(true), now + 6 * HOUR)
  assert.equal(s.wakeAt(false), s.dueAt)
  // Same window again: not re-drawn.
  s.ariAnswered('01', { window: { ...window }, retryAfterMs: 6 * HOUR }, now + 6 * HOUR)
  assert.equal(draws, 2)
  // An answer about a certificate no longer served changes nothing but the next check.
  s.ariAnswered('99', { window: { start: new Date(T0), end: new Date(T0) }, retryAfterMs: 0 }, now)
  assert.equal(s.dueAt, T0 + 30 * DAY + DAY / 4)
  // No ARI any more: back to the lifetime rule.
  s.ariAnswered('01', undefined, now)
  assert.equal(s.reason, 'lifetime')
  assert.equal(s.ariExplanationURL, undefined)
  // A new certificate drops the old window and asks at once.
  s.ariAnswered('01', { window, retryAfterMs: HOUR }, now)
  s.serve(cert('02', now, 90), now, true)
  assert.equal(s.reason, 'lifetime')
  assert.equal(s.ariDue(now), true)
})

test('ARI: a window already over means renew now; checks at least every 12 h; errors wait 6 h', () => {
  const s = new RenewalSchedule(middle)
  s.serve(cert('01', T0, 90), T0, false)
  const now = T0 + 10 * DAY
  const past = { start: new Date(T0 + DAY), end: new Date(T0 + 2 * DAY) }
  s.ariAnswered('01', { window: past, retryAfterMs: 24 * HOUR }, now)
  assert.equal(s.dueAt, T0 + DAY)
  assert.equal(s.wakeAt(true), T0 + DAY)
  assert.equal(s.ariDue(now + 12 * HOUR), true, 'a 24 h Retry-After is capped at 12 h')
  s.ariFailed(now)
  assert.equal(s.ariDue(now + 6 * HOUR - 1), false)
  assert.equal(s.ariDue(now + 6 * HOUR), true)
  assert.equal(s.reason, 'ari', 'a failed check keeps the window')
})

test('expiring soon is reported once per certificate', () => {
  const s = new RenewalSchedule(middle)
  s.serve(cert('01', T0, 6), T0, false)
  assert.equal(s.expiringSoon(T0 + 4 * DAY), false)
  assert.equal(s.expiringSoon(T0 + 5 * DAY + 1), true)
  assert.equal(s.expiringSoon(T0 + 5 * DAY + 2), false)
  s.serve(cert('02', T0 + 5 * DAY, 6), T0 + 5 * DAY, true)
  assert.equal(s.expiringSoon(T0 + 10 * DAY + 1), true)
})
