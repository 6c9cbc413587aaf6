import { test } from 'node:test'
import assert from 'node:assert/strict'
import { accessLogEntry, accessLogFormatter, type AccessLogFields } from './access-log.js'
import { BASE_FIELDS } from './access-log-fixtures.test.helper.js'

const base = BASE_FIELDS

/** Strings JSON.stringify escapes, or writes as they are though they look as if it might not. */
const AWKWARD = [
  '/a"b',
  '/a\\b',
  '/\u0000\u0001\u001f',
  '/tab\there\nnew\rline',
  '/\u007f\u0080\u00ff',
  '/caf\u00e9 \u2028 \u2029',
  '/\ud83d\ude00 pair',
  '/lone \ud800 high',
  '/lone \udfff low',
  '/end \ud83d',
  '',
]

test('an entry is written as JSON.stringify writes it, for awkward strings in every field', () => {
  const format = accessLogFormatter()
  for (const s of AWKWARD) {
    for (const key of ['remote', 'method', 'host', 'path', 'upstream', 'proto'] as const) {
      const entry = accessLogEntry({ ...base, [key]: s }, 1_767_225_600_007)
      assert.equal(format(entry), `${JSON.stringify(entry)}\n`, `${key} = ${JSON.stringify(s)}`)
      assert.deepEqual(JSON.parse(format(entry)), JSON.parse(JSON.stringify(entry)))
    }
  }
})

test('numbers, an absent upstream and non-finite values are written as JSON.stringify does', () => {
  const format = accessLogFormatter()
  const cases: Partial<AccessLogFields>[] = [
    { upstream: undefined },
    { status: 0, bytes: 0, durationMs: 0 },
    { bytes: 2 ** 53, durationMs: 1e-7 },
    { durationMs: 123456789.98765 },
    { durationMs: Number.NaN },
    { durationMs: Number.POSITIVE_INFINITY },
    { durationMs: -0 },
  ]
  for (const c of cases) {
    const entry = accessLogEntry({ ...base, ...c }, 0)
    assert.equal(format(entry), `${JSON.stringify(entry)}\n`, JSON.stringify(c))
  }
  const line = format(accessLogEntry({ ...base, upstream: undefined }, 0))
  assert.equal('upstream' in (JSON.parse(line) as object), false)
})

test('fields given to the formatter are added to every line, and win over the entry', () => {
  const entry = accessLogEntry(base, 0)
  const plain = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>
  const worker = accessLogFormatter({ worker: 2 })
  assert.equal(worker(entry), `${JSON.stringify({ ...plain, worker: 2 })}\n`)
  // One of the entry's own names: the field's value replaces the entry's, as a spread would.
  const clash = accessLogFormatter({ host: 'x"y', worker: 'w' })
  assert.deepEqual(JSON.parse(clash(entry)), { ...plain, host: 'x"y', worker: 'w' })
  // Nothing to add (undefined values are dropped by JSON): the bare line.
  assert.equal(accessLogFormatter({ none: undefined })(entry), `${JSON.stringify(entry)}\n`)
  assert.equal(accessLogFormatter({})(entry), `${JSON.stringify(entry)}\n`)
})

test('any other object is written by JSON.stringify, with the fields', () => {
  assert.equal(accessLogFormatter()({ a: 1, b: 'x' }), '{"a":1,"b":"x"}\n')
  assert.equal(accessLogFormatter({ worker: 1 })({ a: 1 }), '{"a":1,"worker":1}\n')
  assert.equal(accessLogFormatter({ worker: 1 })({}), '{"worker":1}\n')
  assert.equal(accessLogFormatter({ a: 2 })({ a: 1 }), '{"a":2}\n')
})

test('fields the fast line cannot simply append are written as JSON.stringify writes them', () => {
  const entry = accessLogEntry(base, 0)
  const cases: Record<string, unknown>[] = [
    // Array indices come first in any object's keys, so JSON.stringify writes them first.
    { 1: 'x' },
    { worker: 2, 0: 'zero' },
    { 4294967294: 'last index' },
    { 4294967295: 'not an index', '01': 'nor this', '-1': 'nor this' },
    // A toJSON rewrites `fields` alone, or the whole merged object once spread into it.
    { toJSON: () => ({ worker: 3 }) },
    { worker: 4, toJSON: () => ({}) },
    { a: undefined, 7: undefined },
  ]
  for (const fields of cases) {
    const line = accessLogFormatter(fields)(entry)
    assert.equal(line, `${JSON.stringify({ ...entry, ...fields })}\n`, Object.keys(fields).join())
  }
})
