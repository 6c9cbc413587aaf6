import { test } from 'node:test'
import assert from 'node:assert/strict'
import { upstreamFailure } from './upstream-errors.js'

const t = { connectTimeoutMs: 5000, responseTimeoutMs: 60000 }
const cases: [code: string, message: string, status: number, text: string][] = [
  ['ECONNREFUSED', 'connect ECONNREFUSED', 502, 'upstream 127.0.0.1:8080 refused the connection'],
  [
    'UND_ERR_CONNECT_TIMEOUT',
    'x',
    504,
    'upstream 127.0.0.1:8080 did not accept the connection within 5000 ms',
  ],
  ['UND_ERR_HEADERS_TIMEOUT', 'x', 504, 'upstream 127.0.0.1:8080 did not answer within 60000 ms'],
  ['ENOTFOUND', 'x', 502, 'upstream 127.0.0.1:8080: the name could not be resolved'],
  ['EHOSTUNREACH', 'x', 502, 'upstream 127.0.0.1:8080 is unreachable'],
  ['UND_ERR_SOCKET', 'other side closed', 502, 'upstream 127.0.0.1:8080 closed the connection'],
  ['ECONNRESET', 'x', 502, 'upstream 127.0.0.1:8080 closed the connection'],
  ['HPE_INVALID_CONSTANT', 'x', 502, 'upstream 127.0.0.1:8080 sent an invalid response'],
  [
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'self-signed certificate',
    502,
    'upstream 127.0.0.1:8080 TLS failed: self-signed certificate',
  ],
  [
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'Hostname/IP does not match',
    502,
    'upstream 127.0.0.1:8080 TLS failed: Hostname/IP does not match',
  ],
  ['', 'something odd\nsecond line', 502, 'upstream 127.0.0.1:8080 failed: something odd'],
]
test('an undici parser error without a code → 502 naming the fault', () => {
  const err = Object.assign(
    new Error('Response does not match the HTTP/1.1 protocol (Invalid header value char)'),
    { name: 'HTTPParserError' },
  )
  assert.deepEqual(upstreamFailure(err, '127.0.0.1:8080', t), {
    status: 502,
    message: 'upstream 127.0.0.1:8080 sent an invalid response: invalid header value char',
  })
})

for (const [code, message, status, text] of cases) {
  test(`${code || 'no code'} → ${status}`, () => {
    const err = Object.assign(new Error(message), code ? { code } : {})
    assert.deepEqual(upstreamFailure(err, '127.0.0.1:8080', t), { status, message: text })
  })
}
