import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nextRenewal, type NextRenewal } from './next-renewal.js'
import type { RenewalRecord } from './renewal-record.js'

const DAY = 24 * 3600_000
const T0 = Date.UTC(2026, 0, 1)

function cert(
  days: number,
  serialHex = '0a',
): { serialHex: string; notBefore: Date; notAfter: Date } {
  return { serialHex, notBefore: new Date(T0), notAfter: new Date(T0 + days * DAY) }
}

const iso = (ms: number): string => new Date(ms).toISOString()

test('nextRenewal: retry, ARI, recorded and computed lifetime (table)', () => {
  const window = { start: iso(T0 + 60 * DAY), end: iso(T0 + 61 * DAY) }
  const base: RenewalRecord = { reason: 'lifetime', failures: 0, updatedAt: iso(T0) }
  const cases: [string, ReturnType<typeof cert>, RenewalRecord | undefined, NextRenewal][] = [
    [
      'no record, 90 days: unjittered 2/3',
      cert(90),
      undefined,
      { at: new Date(T0 + 60 * DAY), reason: 'lifetime', fraction: '2/3' },
    ],
    [
      'no record, 6 days: half-life',
      cert(6),
      undefined,
      { at: new Date(T0 + 3 * DAY), reason: 'lifetime', fraction: '1/2' },
    ],
    [
      'recorded lifetime time for this serial (jittered by the manager)',
      cert(90),
      { ...base, serialHex: '0a', renewAt: iso(T0 + 59 * DAY) },
      { at: new Date(T0 + 59 * DAY), reason: 'lifetime', fraction: '2/3' },
    ],
    [
      'ARI window for this serial, with the drawn time',
      cert(90),
      { ...base, serialHex: '0a', reason: 'ari', ari: window, renewAt: iso(T0 + 60.5 * DAY) },
      {
        at: new Date(T0 + 60.5 * DAY),
        reason: 'ari',
        window: { start: new Date(window.start), end: new Date(window.end) },
      },
    ],
    [
      'a record about another serial is stale: lifetime',
      cert(90),
      { ...base, serialHex: '0b', reason: 'ari', ari: window, renewAt: iso(T0 + DAY) },
      { at: new Date(T0 + 60 * DAY), reason: 'lifetime', fraction: '2/3' },
    ],
    [
      'failing: the retry time, whatever else',
      cert(90),
      { ...base, serialHex: '0a', failures: 3, nextAttempt: iso(T0 + 70 * DAY) },
      { at: new Date(T0 + 70 * DAY), reason: 'retry', failures: 3 },
    ],
  ]
  for (const [what, c, record, expected] of cases) {
    assert.deepEqual(nextRenewal(c, record), expected, what)
  }
})
