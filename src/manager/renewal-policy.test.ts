import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  isExpiringSoon,
  needsRenewal,
  nextAriCheck,
  renewalTime,
  retryDelay,
  RENEWAL_JITTER_FRACTION,
} from './renewal-policy.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const T0 = Date.parse('2026-01-01T00:00:00Z')
const cert = (days: number): { notBefore: Date; notAfter: Date } => ({
  notBefore: new Date(T0),
  notAfter: new Date(T0 + days * DAY),
})
const fixed = (r: number) => (): number => r

test('lifetime rule: renew at 2/3 of the lifetime, half-life below 10 days (table)', () => {
  const cases: [days: number, expectedDay: number][] = [
    [90, 60],
    [47, (47 * 2) / 3],
    [10, 10 * (2 / 3)],
    [9.99, 9.99 / 2],
    [6, 3],
    [160 / 24, 160 / 48],
    [1, 0.5],
  ]
  for (const [days, expectedDay] of cases) {
    const r = renewalTime(cert(days), { random: fixed(0.5) })
    assert.equal(r.reason, 'lifetime')
    assert.ok(Math.abs(r.at.getTime() - (T0 + expectedDay * DAY)) <= 1, `${days}-day certificate`)
  }
})

test('jitter stays within ±1% of the lifetime and inside the validity', () => {
  for (const days of [90, 6]) {
    const c = cert(days)
    const centre = T0 + (days >= 10 ? (2 / 3) * days : days / 2) * DAY
    const bound = RENEWAL_JITTER_FRACTION * days * DAY
    const low = renewalTime(c, { random: fixed(0) }).at.getTime()
    const high = renewalTime(c, { random: fixed(0.999_999_999) }).at.getTime()
    assert.ok(Math.abs(low - (centre - bound)) <= 1, `${days}d low end`)
    assert.ok(Math.abs(high - (centre + bound)) <= 2, `${days}d high end`)
    for (let i = 0; i < 1000; i++) {
      const at = renewalTime(c).at.getTime()
      assert.ok(at >= centre - bound - 1 && at <= centre + bound + 1, `${days}d draw ${at}`)
    }
  }
  // 90-day certificate → around day 60 (±0.9 days).
  const at = renewalTime(cert(90)).at.getTime()
  assert.ok(at >= T0 + 59.1 * DAY && at <= T0 + 60.9 * DAY)
})

test('ARI: 1000 random draws all land inside the window and spread over it', () => {
  const ari = { start: new Date(T0 + 50 * DAY), end: new Date(T0 + 52 * DAY) }
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < 1000; i++) {
    const r = renewalTime(cert(90), { ari })
    assert.equal(r.reason, 'ari')
    const t = r.at.getTime()
    assert.ok(t >= ari.start.getTime() && t <= ari.end.getTime(), r.at.toISOString())
    min = Math.min(min, t)
    max = Math.max(max, t)
  }
  // Uniform over two days: 1000 draws cover nearly all of it.
  assert.ok(min < ari.start.getTime() + 0.05 * 2 * DAY)
  assert.ok(max > ari.end.getTime() - 0.05 * 2 * DAY)
  assert.equal(renewalTime(cert(90), { ari, random: fixed(0) }).at.getTime(), ari.start.getTime())
})

test('ARI window in the past → its start (renew now); ARI overrides the lifetime rule', () => {
  const ari = { start: new Date(T0 + 2 * DAY), end: new Date(T0 + 3 * DAY) }
  const now = new Date(T0 + 4 * DAY)
  const r = renewalTime(cert(90), { ari, now, random: fixed(0.9) })
  assert.deepEqual(r, { at: ari.start, reason: 'ari' })
  assert.equal(needsRenewal(cert(90), now, { ari }), true)
  // A 6-day certificate renewed by ARI before half-life.
  const early = { start: new Date(T0 + 1 * DAY), end: new Date(T0 + 1 * DAY + HOUR) }
  assert.equal(needsRenewal(cert(6), new Date(T0 + 1 * DAY + HOUR), { ari: early }), true)
  assert.equal(needsRenewal(cert(6), new Date(T0 + 1 * DAY + HOUR), {}), false)
})

test('needsRenewal is deterministic by default and flips at the renewal point', () => {
  assert.equal(needsRenewal(cert(90), new Date(T0 + 59.9 * DAY)), false)
  assert.equal(needsRenewal(cert(90), new Date(T0 + 60 * DAY)), true)
  assert.equal(needsRenewal(cert(6), new Date(T0 + 2.9 * DAY)), false)
  assert.equal(needsRenewal(cert(6), new Date(T0 + 3 * DAY)), true)
  assert.equal(needsRenewal(cert(6), new Date(T0 + 7 * DAY)), true)
})

test('isExpiringSoon: 1/10 of the lifetime or a day, capped at a quarter (table)', () => {
  const cases: [days: number, leftMs: number, soon: boolean][] = [
    [90, 9 * DAY + MIN, false],
    [90, 9 * DAY - MIN, true],
    [6, DAY + MIN, false],
    [6, DAY - MIN, true],
    [6, 3 * DAY, false],
    [1, 6 * HOUR + MIN, false],
    [1, 6 * HOUR - MIN, true],
    [90, -DAY, true],
  ]
  for (const [days, left, soon] of cases) {
    const now = new Date(T0 + days * DAY - left)
    assert.equal(isExpiringSoon(cert(days), now), soon, `${days}d with ${left / HOUR} h left`)
  }
})

test('nextAriCheck: Retry-After clamped to [1 min, 12 h], 6 h by default (RFC 9773 §4.3)', () => {
  const last = new Date(T0)
  const cases: [retryAfter: number | undefined, expected: number][] = [
    [undefined, 6 * HOUR],
    [0, MIN],
    [30_000, MIN],
    [2 * HOUR, 2 * HOUR],
    [12 * HOUR, 12 * HOUR],
    [20 * HOUR, 12 * HOUR],
    [30 * DAY, 12 * HOUR],
  ]
  for (const [retryAfter, expected] of cases) {
    assert.equal(nextAriCheck(last, retryAfter).getTime() - T0, expected, String(retryAfter))
  }
  assert.throws(() => nextAriCheck(last, Number.NaN), { name: 'TypeError' })
  assert.throws(() => nextAriCheck(new Date('x')), { name: 'TypeError', message: /lastCheck/ })
})

test('retryDelay: 1 min, 10 min, 100 min, then daily; jitter bounded', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 50].map((n) => retryDelay(n)),
    [MIN, 10 * MIN, 100 * MIN, DAY, DAY, DAY],
  )
  assert.equal(retryDelay(2, { jitter: 0.1, random: fixed(0) }), 9 * MIN)
  assert.equal(retryDelay(2, { jitter: 0.1, random: fixed(0.5) }), 10 * MIN)
  for (let i = 0; i < 200; i++) {
    const d = retryDelay(3, { jitter: 0.1 })
    assert.ok(d >= 90 * MIN && d <= 110 * MIN, String(d))
  }
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => retryDelay(bad), { name: 'RangeError', message: /failures/ })
  }
  assert.throws(() => retryDelay(1, { jitter: 0.9 }), { name: 'RangeError', message: /jitter/ })
})

test('bad inputs are refused with messages naming the value', () => {
  assert.throws(() => renewalTime({ notBefore: new Date(T0), notAfter: new Date(T0) }), {
    name: 'RangeError',
    message: /notAfter/,
  })
  assert.throws(() => renewalTime({ notBefore: new Date('x'), notAfter: new Date(T0) }), {
    name: 'TypeError',
    message: /notBefore/,
  })
  const backwards = { start: new Date(T0 + DAY), end: new Date(T0) }
  assert.throws(() => renewalTime(cert(90), { ari: backwards }), { name: 'RangeError' })
  assert.throws(() => renewalTime(cert(90), { random: fixed(1) }), {
    name: 'RangeError',
    message: /random\(\) returned 1/,
  })
})
