import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatSize, parseSize } from './size.js'

test('parseSize reads decimal and binary units, bare byte counts and "unlimited"', () => {
  const cases: [string | number, number][] = [
    [0, 0],
    [1024, 1024],
    ['0', 0],
    ['512', 512],
    ['512B', 512],
    ['1kb', 1000],
    ['110MB', 110_000_000],
    ['110 MB', 110_000_000],
    ['1.5GB', 1_500_000_000],
    ['2TB', 2e12],
    ['10KiB', 10_240],
    ['16KiB', 16_384],
    ['110MiB', 110 * 2 ** 20],
    ['1.5KiB', 1536],
    ['1GiB', 2 ** 30],
    ['1TiB', 2 ** 40],
    ['none', Infinity],
    ['unlimited', Infinity],
  ]
  for (const [input, bytes] of cases) assert.equal(parseSize(input), bytes, String(input))
})

test('parseSize refuses what it cannot read, saying what is allowed', () => {
  const cases: [string | number, RegExp][] = [
    ['110M', /write 110MB or 110MiB/],
    ['10k', /write 10KB or 10KiB/],
    ['110XB', /is not a size; give bytes/],
    ['', /is not a size/],
    ['MB', /is not a size/],
    ['-1MB', /is not a size/],
    ['1.5', /is not a size/],
    ['1e3', /is not a size/],
    [-1, /is not a size/],
    [1.5, /is not a size/],
    ['99999999999TB', /too large/],
  ]
  for (const [input, message] of cases) {
    assert.throws(
      () => parseSize(input),
      (err: Error) => err instanceof RangeError && message.test(err.message),
      String(input),
    )
  }
})

test('formatSize gives the shortest exact spelling, which parseSize reads back', () => {
  const cases: [number, string | number][] = [
    [0, 0],
    [512, 512],
    [1500, 1500],
    [1000, '1KB'],
    [1024, '1KiB'],
    [110_000_000, '110MB'],
    [110 * 2 ** 20, '110MiB'],
    [16_384, '16KiB'],
    [3 * 2 ** 40, '3TiB'],
    [Infinity, 'unlimited'],
  ]
  for (const [bytes, text] of cases) {
    assert.equal(formatSize(bytes), text, String(bytes))
    assert.equal(parseSize(text), bytes, String(text))
  }
})
