import { test } from 'node:test'
import assert from 'node:assert/strict'
import { markdownTable, median, percentile, seconds, summarize } from './stats.js'

test('median of odd and even counts, order-independent', () => {
  assert.equal(median([3, 1, 2]), 2)
  assert.equal(median([4, 1, 3, 2]), 2.5)
  assert.equal(median([7]), 7)
})

test('p90 by nearest rank: the slowest of 5 runs, the 9th of 10', () => {
  assert.equal(percentile([5, 1, 4, 2, 3], 90), 5)
  assert.equal(percentile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 90), 9)
  assert.equal(percentile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 100), 10)
})

test('no samples or a bad percentile is a RangeError naming the problem', () => {
  assert.throws(() => median([]), { name: 'RangeError', message: /no samples/ })
  assert.throws(() => percentile([1], 0), { name: 'RangeError', message: /percentile 0/ })
  assert.throws(() => percentile([1], 101), { name: 'RangeError', message: /percentile 101/ })
})

test('summarize and format', () => {
  assert.deepEqual(summarize([300, 100, 200]), { runs: 3, p50: 200, p90: 300, min: 100, max: 300 })
  assert.equal(seconds(1234.5), '1.234 s')
  assert.equal(markdownTable(['a', 'b|c'], [['1', '2']]), '| a | b\\|c |\n| --- | --- |\n| 1 | 2 |')
})
