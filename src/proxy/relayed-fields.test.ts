import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Duplex } from 'node:stream'
import { compileHeaderOps, forwardResponseHeaders, NO_HEADER_OPS } from './forward-headers.js'
import { nameIs, relayedFields } from './relayed-fields.js'
import { SocketReply } from './socket-reply.js'

const bytes = (fields: string[]): Buffer[] => fields.map((s) => Buffer.from(s, 'latin1'))

/** Everything a SocketReply writes for one head, by `write` (the head is written alone). */
function written(fill: (reply: SocketReply) => void, method = 'GET', version = '1.1'): string {
  let out = ''
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('latin1')
      done()
    },
  })
  fill(new SocketReply(socket, { finished() {} }, method, version, false))
  socket.uncork()
  // Writes land synchronously while uncorked; the date line is the only part that varies by time.
  return out.replace(/date: [^\r]+\r\n/, 'date: (now)\r\n')
}

/** Heads an upstream may send, in the cases that matter to relaying. */
const HEADS: string[][] = [
  ['Content-Type', 'text/plain', 'Content-Length', '2', 'Date', 'Sun, 06 Dec 2026 11:30:00 GMT'],
  ['CONTENT-LENGTH', '5', 'content-length', '5', 'X-A', 'a\tb'],
  ['Connection', 'keep-alive, X-Internal', 'X-Internal', 'secret', 'Keep-Alive', 'timeout=5'],
  ['Transfer-Encoding', 'chunked', 'TE', 'trailers', 'Trailer', 'X', 'Upgrade', 'h2c'],
  ['Proxy-Connection', 'close', 'HTTP2-Settings', 'x', 'Server', 'nginx'],
  ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Caf', 'caf\u00e9'],
  ['Connection', 'CLOSE', 'X-Internal', 'kept: close names nothing else'],
  [],
]

test('relayHead writes byte for byte what head(forwardResponseHeaders(…)) writes', () => {
  const opsList = [
    NO_HEADER_OPS,
    compileHeaderOps({ set: { 'x-frame-options': 'DENY' }, remove: ['server'] }),
    compileHeaderOps({ set: { date: 'Thu, 01 Jan 2026 00:00:00 GMT' }, remove: [] }),
  ]
  for (const fields of HEADS)
    for (const ops of opsList)
      for (const cookie of [undefined, 'u=1; Secure'])
        for (const [status, method, version] of [
          [200, 'GET', '1.1'],
          [200, 'HEAD', '1.1'],
          [204, 'GET', '1.1'],
          [200, 'GET', '1.0'],
        ] as const) {
          const raw = bytes(fields)
          const relayed = written((r) => r.relayHead(status, raw, ops, cookie), method, version)
          const expected = written(
            (r) => r.head(status, forwardResponseHeaders(raw, ops, cookie)),
            method,
            version,
          )
          assert.equal(relayed, expected, `${JSON.stringify(fields)} ${status} ${method}`)
        }
})

test('hop-by-hop fields, those Connection names and those the rules drop are not relayed', () => {
  const raw = bytes([
    'Connection',
    'X-Internal, keep-alive',
    'x-internal',
    'secret',
    'KEEP-ALIVE',
    'timeout=5',
    'Server',
    'nginx',
    'Content-Type',
    'text/plain',
  ])
  const picked = relayedFields(raw, compileHeaderOps({ set: {}, remove: ['server'] }))
  assert.deepEqual(picked.kept, [8])
  assert.equal(picked.bytes, 'Content-Type: text/plain\r\n'.length)
})

test('Content-Length: repeats of one value relayed once, two values or a non-number refused', () => {
  const once = relayedFields(bytes(['Content-Length', '7', 'content-length', '7']), NO_HEADER_OPS)
  assert.deepEqual([once.kept, once.contentLength], [[0], 7])
  assert.throws(
    () => relayedFields(bytes(['Content-Length', '7', 'Content-Length', '8']), NO_HEADER_OPS),
    /two different Content-Length values/,
  )
  for (const bad of ['', '-1', '1e3', '1,2', '0x10', '1234567890123456'])
    assert.throws(
      () => relayedFields(bytes(['Content-Length', bad]), NO_HEADER_OPS),
      TypeError,
      JSON.stringify(bad),
    )
})

test('nameIs folds ASCII letters only', () => {
  assert.equal(nameIs(Buffer.from('Content-LENGTH'), 'content-length'), true)
  assert.equal(nameIs(Buffer.from('content_length'), 'content-length'), false)
  // 0x0d | 0x20 is '-': only A-Z fold, so a control byte never passes for a hyphen.
  assert.equal(nameIs(Buffer.from('content\rlength'), 'content-length'), false)
  assert.equal(nameIs(Buffer.from('date'), 'dates'), false)
})
