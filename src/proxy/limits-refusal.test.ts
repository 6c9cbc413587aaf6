import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { limitsRefusal } from './limits-refusal.js'
import type { GatewayLimits } from './types.js'

const limits: GatewayLimits = {
  maxUrlBytes: 10,
  maxHeaderCount: 2,
  // `host: a.test` and `x: yy` on the wire, CRLF included: 4 + 2 + 6 + 2, then 1 + 2 + 2 + 2.
  maxHeaderBytes: 21,
  handshakeTimeoutMs: 1,
  headerTimeoutMs: 1,
  bodyTimeoutMs: 1,
  idleTimeoutMs: 1,
}

describe('limitsRefusal', () => {
  const cases: [name: string, urlLength: number, raw: string[], expected: string][] = [
    ['within every limit', 10, ['host', 'a.test', 'x', 'yy'], 'ok'],
    ['target one byte too long', 11, ['host', 'a.test'], '414 request-target longer than 10 bytes'],
    ['no fields', 0, [], 'ok'],
    ['one field too many', 1, ['a', '1', 'b', '2', 'c', '3'], '431 more than 2 header fields'],
    [
      'fields one byte too large',
      1,
      ['host', 'a.test', 'x', 'yyy'],
      '431 request header fields larger than 21 bytes',
    ],
    // The target is checked first: a request over both limits is refused as too long a target.
    ['over both', 11, ['a', '1', 'b', '2', 'c', '3'], '414 request-target longer than 10 bytes'],
  ]
  for (const [name, urlLength, raw, expected] of cases)
    test(name, () => {
      const r = limitsRefusal(limits, urlLength, raw)
      assert.equal(r === undefined ? 'ok' : `${r.status} ${r.message}`, expected)
      if (r !== undefined) assert.equal(r.close, true)
    })
})
