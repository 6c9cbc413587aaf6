import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRange } from './range.js'

const cases: [header: string, size: number, expected: string][] = [
  ['bytes=0-9', 100, '0-9'],
  ['bytes=10-', 100, '10-99'],
  ['bytes=-10', 100, '90-99'],
  ['bytes=-500', 100, '0-99'],
  ['bytes=90-500', 100, '90-99'],
  ['bytes=100-', 100, 'unsatisfiable'],
  ['bytes=-0', 100, 'unsatisfiable'],
  ['bytes=5-1', 100, 'ignored'],
  ['bytes=0-1,5-6', 100, 'ignored'],
  ['bytes=-', 100, 'ignored'],
  ['items=0-1', 100, 'ignored'],
  ['bytes=0-0', 0, 'unsatisfiable'],
]
for (const [header, size, expected] of cases) {
  test(`${header} of ${size} → ${expected}`, () => {
    const r = parseRange(header, size)
    assert.equal(
      r === undefined ? 'ignored' : r === 'unsatisfiable' ? r : `${r.start}-${r.end}`,
      expected,
    )
  })
}
