import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import {
  DEFAULT_FLAGS,
  OPCODE,
  RR_CLASS,
  RR_TYPE,
  decodeMessage,
  encodeMessage,
  type DnsMessage,
} from './dns-wire.js'
import { checkTsigKey, signMessage, verifyResponse, type TsigKey } from './tsig.js'

const key: TsigKey = {
  name: 'Key.Test.',
  algorithm: 'hmac-sha256',
  secret: Buffer.alloc(32, 7).toString('base64'),
}
const NOW = 1_800_000_000

const request: DnsMessage = {
  id: 4242,
  flags: { ...DEFAULT_FLAGS, opcode: OPCODE.UPDATE },
  questions: [{ name: 'ex.test.', type: RR_TYPE.SOA, class: RR_CLASS.IN }],
  answers: [],
  authorities: [],
  additionals: [],
}
const response: DnsMessage = { ...request, flags: { ...request.flags, qr: true } }

test('signs with a MAC over the message and the TSIG variables (RFC 8945 §4.3.3)', () => {
  const { wire, mac } = signMessage(request, key, NOW)
  const decoded = decodeMessage(wire)
  assert.equal(decoded.additionals.length, 1)
  const tsig = decoded.additionals[0]
  assert.equal(tsig?.type, RR_TYPE.TSIG)
  assert.equal(tsig?.name, 'key.test.')
  assert.equal(tsig?.class, RR_CLASS.ANY)
  // Independent digest: message, then key name, class ANY, TTL 0, algorithm, time, fudge 300, error 0, other len 0.
  const variables = Buffer.concat([
    Buffer.from('036b657904746573740000ff00000000', 'hex'),
    Buffer.from('0b686d61632d73686132353600', 'hex'),
    Buffer.from([0, 0, ...Buffer.from(NOW.toString(16).padStart(8, '0'), 'hex')]),
    Buffer.from('012c00000000', 'hex'),
  ])
  const expected = createHmac('sha256', Buffer.alloc(32, 7))
    .update(encodeMessage(request))
    .update(variables)
    .digest()
  assert.deepEqual(mac, expected)
  assert.ok(wire.includes(expected))
})

test('verifies a response chained to the request MAC', () => {
  const signed = signMessage(request, key, NOW)
  const answer = signMessage(response, key, NOW + 1, signed.mac)
  assert.equal(
    verifyResponse(answer.wire, decodeMessage(answer.wire), key, signed.mac, NOW + 2),
    undefined,
  )
})

test('refuses a response with a tampered body, another request MAC, a bad time or no TSIG', () => {
  const signed = signMessage(request, key, NOW)
  const answer = signMessage(response, key, NOW, signed.mac)
  const tampered = Buffer.from(answer.wire)
  tampered[3] = 0x05 // RCODE REFUSED
  assert.match(
    verifyResponse(tampered, decodeMessage(tampered), key, signed.mac, NOW) ?? '',
    /does not verify \(BADSIG\)/,
  )
  const other = signMessage(response, key, NOW, Buffer.alloc(32))
  assert.match(
    verifyResponse(other.wire, decodeMessage(other.wire), key, signed.mac, NOW) ?? '',
    /BADSIG/,
  )
  assert.match(
    verifyResponse(answer.wire, decodeMessage(answer.wire), key, signed.mac, NOW + 301) ?? '',
    /BADTIME/,
  )
  const plain = encodeMessage(response)
  assert.match(
    verifyResponse(plain, decodeMessage(plain), key, signed.mac, NOW) ?? '',
    /not signed/,
  )
  const wrongKey = { ...key, secret: Buffer.alloc(32, 8).toString('base64') }
  assert.match(
    verifyResponse(answer.wire, decodeMessage(answer.wire), wrongKey, signed.mac, NOW) ?? '',
    /BADSIG/,
  )
})

test('supports hmac-sha512 and hmac-sha1', () => {
  for (const algorithm of ['hmac-sha512', 'hmac-sha1'] as const) {
    const k = { ...key, algorithm }
    const signed = signMessage(request, k, NOW)
    assert.equal(signed.mac.length, algorithm === 'hmac-sha512' ? 64 : 20)
    const answer = signMessage(response, k, NOW, signed.mac)
    assert.equal(
      verifyResponse(answer.wire, decodeMessage(answer.wire), k, signed.mac, NOW),
      undefined,
    )
  }
})

test('rejects bad keys up front', () => {
  assert.throws(
    () => checkTsigKey({ ...key, algorithm: 'hmac-md5' as never }),
    /hmac-md5.*not supported/,
  )
  assert.throws(() => checkTsigKey({ ...key, secret: 'not base64!' }), TypeError)
  assert.throws(() => checkTsigKey({ ...key, name: '' }), TypeError)
})
