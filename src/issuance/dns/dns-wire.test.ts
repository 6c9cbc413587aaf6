import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  DEFAULT_FLAGS,
  OPCODE,
  RR_CLASS,
  RR_TYPE,
  decodeMessage,
  decodeName,
  decodeTxt,
  encodeMessage,
  encodeName,
  encodeTxt,
  rcodeName,
} from './dns-wire.js'

test('encodes an RFC 2136 update byte for byte', () => {
  const wire = encodeMessage({
    id: 0x1234,
    flags: { ...DEFAULT_FLAGS, opcode: OPCODE.UPDATE },
    questions: [{ name: 'ex.test.', type: RR_TYPE.SOA, class: RR_CLASS.IN }],
    answers: [],
    authorities: [
      { name: 'a.ex.test.', type: RR_TYPE.TXT, class: RR_CLASS.IN, ttl: 60, data: encodeTxt('hi') },
    ],
    additionals: [],
  })
  const expected = Buffer.from(
    [
      '1234 2800 0001 0000 0001 0000', // ID, opcode 5 (UPDATE), ZOCOUNT 1, UPCOUNT 1
      '02 6578 04 74657374 00 0006 0001', // ex.test. SOA IN
      '01 61 02 6578 04 74657374 00 0010 0001 0000003c 0003 02 6869', // a.ex.test. TXT IN 60 "hi"
    ]
      .join('')
      .replace(/\s/g, ''),
    'hex',
  )
  assert.deepEqual(wire, expected)
})

test('decodes a message with compressed names', () => {
  // A response to "x.ex.test. TXT?" whose answer owner is a pointer to the question name (offset 12).
  const wire = Buffer.from(
    [
      'abcd 8180 0001 0001 0000 0000',
      '01 78 02 6578 04 74657374 00 0010 0001',
      'c00c 0010 0001 0000003c 0004 03 616263',
    ]
      .join('')
      .replace(/\s/g, ''),
    'hex',
  )
  const msg = decodeMessage(wire)
  assert.equal(msg.id, 0xabcd)
  assert.equal(msg.flags.qr, true)
  assert.equal(msg.flags.rd, true)
  assert.equal(msg.flags.ra, true)
  assert.equal(msg.questions[0]?.name, 'x.ex.test.')
  assert.equal(msg.answers[0]?.name, 'x.ex.test.')
  assert.equal(msg.answers[0]?.ttl, 60)
  assert.deepEqual(decodeTxt(msg.answers[0]?.data ?? new Uint8Array()), ['abc'])
})

test('decodes a pointer into the middle of a name, and a label followed by a pointer', () => {
  // offset 0: "a.ex.test."; offset 11: "b" + pointer to offset 2 ("ex.test.").
  const buf = Buffer.from('01610265780474657374000162c002', 'hex')
  assert.deepEqual(decodeName(buf, 0), { name: 'a.ex.test.', end: 11 })
  assert.deepEqual(decodeName(buf, 11), { name: 'b.ex.test.', end: 15 })
})

test('rejects compression loops and truncated names', () => {
  assert.throws(() => decodeName(Buffer.from('c000', 'hex'), 0), /compression loop/)
  assert.throws(() => decodeName(Buffer.from('0561', 'hex'), 0), /past the end/)
  assert.throws(() => decodeMessage(Buffer.alloc(5)), RangeError)
})

test('splits TXT values into 255-byte character-strings and joins them back', () => {
  const value = 'x'.repeat(600)
  const rdata = encodeTxt(value)
  assert.equal(rdata.length, 600 + 3)
  assert.equal(rdata[0], 255)
  assert.equal(rdata[256], 255)
  assert.equal(rdata[512], 90)
  assert.deepEqual(decodeTxt(rdata), ['x'.repeat(255), 'x'.repeat(255), 'x'.repeat(90)])
  assert.deepEqual(encodeTxt(''), Buffer.from([0]))
})

test('names: root, case kept, oversize labels refused', () => {
  assert.deepEqual(encodeName('.'), Buffer.from([0]))
  assert.deepEqual(encodeName('A.b'), Buffer.from([1, 0x41, 1, 0x62, 0]))
  assert.throws(() => encodeName(`${'a'.repeat(64)}.test.`), /label of 64 bytes/)
  assert.throws(() => encodeName('a..test.'), /label of 0 bytes/)
})

test('rcode names', () => {
  assert.equal(rcodeName(5), 'REFUSED')
  assert.equal(rcodeName(9), 'NOTAUTH')
  assert.equal(rcodeName(16), 'BADSIG')
  assert.equal(rcodeName(42), 'RCODE 42')
})
