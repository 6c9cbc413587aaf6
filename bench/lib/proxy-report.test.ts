import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pairedRatio, throughputTable, type RowSamples } from './proxy-report.js'
import type { ThroughputSample } from './proxy-phases.js'

const row = (key: string, us: number[], rounds?: number[]): RowSamples<ThroughputSample> => ({
  key,
  label: key,
  samples: us.map((usPerRequest) => ({ perSecond: 1e6 / usPerRequest, usPerRequest, failed: 0 })),
  ...(rounds ? { rounds } : {}),
})

test('the paired ratio is the median of the rounds’ ratios, over the rounds both rows have', () => {
  // Round 2 of Caddy failed: the row's round 2 has no partner and is left out.
  const caddy = row('caddy', [90, 60, 120], [1, 3, 4])
  const mine = row('gatehouse', [60, 99, 50, 60], [1, 2, 3, 4])
  // Ratios 1.5 (round 1), 1.2 (round 3), 2.0 (round 4): the median is 1.5, not the ratio of the
  // medians (90 / 60 = 1.5 here by chance, so round 4 is what a mispairing would show).
  assert.equal(pairedRatio(caddy, mine), '1.50× (1.20–2.00)')
  const skewed = row('gatehouse', [60, 50, 100], [1, 3, 4])
  assert.equal(pairedRatio(caddy, skewed), '1.20× (1.20–1.50)')
})

test('no rounds, no base or no common round: no paired ratio', () => {
  assert.equal(pairedRatio(undefined, row('g', [1], [1])), '–')
  assert.equal(pairedRatio(row('caddy', [1]), row('g', [1], [1])), '–')
  assert.equal(pairedRatio(row('caddy', [1], [2]), row('g', [1], [1])), '–')
})

test('the throughput table shows the paired ratio next to the ratio of medians', () => {
  const table = throughputTable(
    [row('gatehouse', [50, 100, 60], [1, 2, 3]), row('caddy', [100, 110, 66], [1, 2, 3])],
    new Map(),
  )
  const line = table.split('\n').find((l) => l.startsWith('| gatehouse'))
  assert.ok(line)
  // Medians 60 and 100: 1.67×; rounds 2.00, 1.10, 1.10: paired 1.10×.
  assert.match(line, /\| 1\.67× \| 1\.10× \(1\.10–2\.00\) \|/)
})
