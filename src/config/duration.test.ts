import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDuration, parseDuration } from './duration.js'

test('parseDuration reads ms, s, m, h, d and sums of them', () => {
  const cases: [string | number, number][] = [
    [0, 0],
    ['0', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    [' 10s ', 10_000],
  ]
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, String(input))
})

test('parseDuration refuses bare numbers and unknown units, saying what is allowed', () => {
  const cases: [string | number, RegExp][] = [
    [30, /30 has no unit; give a number with ms, s, m, h or d/],
    ['30', /"30" has no unit/],
    ['30 s', /is not a duration/],
    ['30sec', /is not a duration/],
    ['1w', /is not a duration/],
    ['', /is not a duration/],
    ['-5s', /is not a duration/],
    ['s', /is not a duration/],
    ['5m 30s', /is not a duration/],
  ]
  for (const [input, message] of cases) {
    assert.throws(
      () => parseDuration(input),
      (err: Error) => err instanceof RangeError && message.test(err.message),
      String(input),
    )
  }
})

test('formatDuration gives the shortest exact spelling, which parseDuration reads back', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [250, '250ms'],
    [30_000, '30s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [86_400_000, '1d'],
    [90_061_001, '1d1h1m1s1ms'],
  ]
  for (const [ms, text] of cases) {
    assert.equal(formatDuration(ms), text)
    assert.equal(parseDuration(text), ms)
  }
})
