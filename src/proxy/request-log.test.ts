import { test } from 'node:test'
import assert from 'node:assert/strict'
import { refusedHttp1Entry } from './request-log.js'

test('a refused HTTP/1.1 head is logged with no method, host or path, from its peer', () => {
  const refusal = { status: 400, bodyBytes: 12, peer: '::ffff:192.0.2.1', durationMs: 3 }
  const entry = refusedHttp1Entry(refusal, 1_767_225_600_007)
  assert.equal(
    JSON.stringify(entry),
    '{"time":"2026-01-01T00:00:00.007Z","remote":"192.0.2.1","method":"","host":"","path":"",' +
      '"status":400,"bytes":12,"duration_ms":3,"proto":"1.1"}',
  )
})
