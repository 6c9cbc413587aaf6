import { test } from 'node:test'
import assert from 'node:assert/strict'
import { accessLogEntry, type AccessLogEntry, type AccessLogFields } from './access-log.js'
import { BASE_FIELDS } from './access-log-fixtures.test.helper.js'
import { encodeEntryLine, entryLineBound } from './access-log-encoder.js'

const base = BASE_FIELDS

/** The encoded line, checked to stay within its bound and to leave the bytes around it alone. */
function encode(entry: AccessLogEntry, extra = ''): string {
  const extraBytes = Buffer.from(extra)
  const bound = entryLineBound(entry, extraBytes)
  const buf = Buffer.alloc(bound + 8, 0xee)
  const end = encodeEntryLine(buf, 4, entry, extraBytes)
  assert.ok(end <= 4 + bound, `line of ${end - 4} bytes over its bound ${bound}`)
  assert.deepEqual(
    [...buf.subarray(0, 4), ...buf.subarray(end)],
    Array(buf.length - end + 4).fill(0xee),
  )
  return buf.subarray(4, end).toString()
}

/** What each line must be: JSON.stringify's text, UTF-8 encoded. */
const expected = (entry: AccessLogEntry, fields = {}): string =>
  `${JSON.stringify({ ...entry, ...fields })}\n`

/** Units JSON.stringify escapes, writes as they are, or writes as several UTF-8 bytes. */
const UNITS = [
  'a',
  '/',
  '"',
  '\\',
  '\u0000',
  '\t',
  '\n',
  '\u001f',
  ' ',
  '~',
  '\u007f',
  '\u0080',
].concat(['\u00e9', '\u2028', '\ud83d\ude00', '\ud800', '\udfff', '\uffff', '%', '?', ':'])

/** A small seeded generator (mulberry32), so a failure names a string that can be replayed. */
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

test('every string field is encoded as JSON.stringify writes it, escapes and UTF-8 included', () => {
  const next = random(20261206)
  const keys = ['remote', 'method', 'host', 'path', 'upstream', 'proto'] as const
  for (let round = 0; round < 2000; round++) {
    const length = Math.floor(next() * 12)
    let s = ''
    for (let k = 0; k < length; k++) s += UNITS[Math.floor(next() * UNITS.length)] as string
    const key = keys[round % keys.length] as (typeof keys)[number]
    const entry = accessLogEntry({ ...base, [key]: s }, 1_767_225_600_007 + round)
    assert.equal(encode(entry), expected(entry), `${key} = ${JSON.stringify(s)}`)
  }
})

test('numbers are encoded as JSON.stringify writes them, an absent upstream left out', () => {
  const cases: Partial<AccessLogFields>[] = [
    { upstream: undefined },
    { status: 0, bytes: 0, durationMs: 0 },
    { status: 101, bytes: 10, durationMs: 1 },
    { bytes: 2 ** 53 - 1, durationMs: 1e-7 },
    { bytes: 2 ** 53, durationMs: 0.0005 },
    { bytes: 1e21, status: -1 },
    { bytes: 0.5 },
    { durationMs: 0.05 },
    { durationMs: 0.1 },
    { durationMs: 10.001 },
    { durationMs: 999.999 },
    { durationMs: 123456789.98765 },
    { durationMs: 999999999999.9 },
    { durationMs: 1e13 },
    { durationMs: 1e300 },
    { durationMs: -2.5 },
    { durationMs: -0 },
    { durationMs: Number.NaN },
    { durationMs: Number.POSITIVE_INFINITY },
  ]
  for (const c of cases) {
    const entry = accessLogEntry({ ...base, ...c }, 0)
    assert.equal(encode(entry), expected(entry), JSON.stringify(c))
  }
  const next = random(7)
  for (let round = 0; round < 2000; round++) {
    const durationMs = next() * 10 ** Math.floor(next() * 8)
    const entry = accessLogEntry({ ...base, durationMs, bytes: Math.floor(next() * 2 ** 40) }, 0)
    assert.equal(encode(entry), expected(entry), String(durationMs))
  }
})

test('the members given for every line are written before the closing brace', () => {
  const entry = accessLogEntry(base, 0)
  assert.equal(encode(entry, ',"worker":2'), expected(entry, { worker: 2 }))
  assert.equal(encode(entry, ',"w":"\u00e9"'), expected(entry, { w: '\u00e9' }))
})
