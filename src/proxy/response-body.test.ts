import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseResponseHead } from './http-head.js'
import { bodyTracker, responseFraming, type BodyFraming } from './response-body.js'

const framing = (head: string, method = 'GET'): BodyFraming =>
  responseFraming(parseResponseHead(head), method)

test('responseFraming follows RFC 9112 §6.3', () => {
  const table: Array<[string, string, BodyFraming]> = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 5', 'HEAD', { kind: 'none' }],
    ['HTTP/1.1 204 No Content\r\nContent-Length: 5', 'GET', { kind: 'none' }],
    ['HTTP/1.1 304 Not Modified', 'GET', { kind: 'none' }],
    ['HTTP/1.1 103 Early Hints', 'GET', { kind: 'none' }],
    ['HTTP/1.1 403 Forbidden\r\nContent-Length: 9', 'GET', { kind: 'length', length: 9 }],
    ['HTTP/1.1 403 Forbidden\r\nContent-Length: 9, 9', 'GET', { kind: 'length', length: 9 }],
    [
      'HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nContent-Length: 9',
      'GET',
      { kind: 'length', length: 9 },
    ],
    ['HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked', 'GET', { kind: 'chunked' }],
    ['HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: gzip, Chunked', 'GET', { kind: 'chunked' }],
    ['HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked, gzip', 'GET', { kind: 'close' }],
    [
      'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nContent-Length: 3',
      'GET',
      { kind: 'chunked' },
    ],
    ['HTTP/1.1 403 Forbidden', 'GET', { kind: 'close' }],
  ]
  for (const [head, method, want] of table) assert.deepEqual(framing(head, method), want, head)
})

test('responseFraming refuses a bad Content-Length', () => {
  for (const value of ['9, 10', 'abc', '-1', '', '1e3', '99999999999999999']) {
    assert.throws(
      () => framing(`HTTP/1.1 403 x\r\nContent-Length: ${value}`),
      /Content-Length/,
      value,
    )
  }
  assert.throws(
    () => framing('HTTP/1.1 403 x\r\nContent-Length: 1\r\nContent-Length: 2'),
    /Content-Length/,
  )
})

test('a length body ends after its bytes, across chunks', () => {
  const tracker = bodyTracker({ kind: 'length', length: 5 })
  assert.equal(tracker.feed(Buffer.from('abc')), 3)
  assert.equal(tracker.done, false)
  assert.equal(tracker.feed(Buffer.from('deEXTRA')), 2)
  assert.equal(tracker.done, true)
  assert.equal(bodyTracker({ kind: 'none' }).done, true)
  const untilClose = bodyTracker({ kind: 'close' })
  assert.equal(untilClose.feed(Buffer.from('anything')), 8)
  assert.equal(untilClose.done, false)
  assert.equal(untilClose.untilClose, true)
})

test('a chunked body ends after the last chunk and trailers, fed whole or byte by byte', () => {
  const bodies = [
    '0\r\n\r\n',
    '5\r\nhello\r\n0\r\n\r\n',
    'A;ext=1\r\n0123456789\r\n0\r\n\r\n',
    '5 ; a = "b \\" c" ; d\r\nhello\r\n0\r\n\r\n',
    '5\t;a=b;c;d="x\ty"\r\nhello\r\n0\r\n\r\n',
    'a \r\n0123456789\r\n0 ; x\r\nTrailer: v\r\nOther: w\r\n\r\n',
    '3\r\n\r\n\r\r\n0\r\n\r\n',
  ]
  for (const body of bodies) {
    const whole = bodyTracker({ kind: 'chunked' })
    assert.equal(whole.feed(Buffer.from(`${body}NEXT`)), body.length, JSON.stringify(body))
    assert.equal(whole.done, true)
    const bytes = bodyTracker({ kind: 'chunked' })
    for (let i = 0; i < body.length; i++) {
      assert.equal(bytes.done, false)
      assert.equal(bytes.feed(Buffer.from(body[i] as string)), 1)
    }
    assert.equal(bytes.done, true, JSON.stringify(body))
  }
})

test('a chunked body with bad framing throws', () => {
  const bad = [
    'x\r\n',
    '\r\n',
    '5\r\nhelloX',
    '5\nhello',
    '1234567890abc\r\n',
    '5\r\nhello\r\n0\r\n\rX',
    '1;a\nb\r\n',
    // RFC 9112 §7.1.1 chunk-ext, read to the letter (llhttp agrees on each).
    '5 5\r\n',
    '5;\r\n',
    '5;=b\r\n',
    '5;a=\r\n',
    '5;a="b\r\n',
    '5;a=b c\r\n',
    '5;a=b"\r\n',
    '5;a="\x00"\r\n',
    '5;a b\r\n',
    '5 x\r\n',
    // Trailers: a bare LF could hide the next request in them (RFC 9112 §7.1.2); and bounded.
    '0\r\n\nGET /x HTTP/1.1\r\n\r\n',
    '0\r\nX: 1\nGET /x HTTP/1.1\r\n\r\n',
    '0\r\nX: a\x00\r\n\r\n',
    `0\r\nX: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
  ]
  for (const body of bad) {
    assert.throws(
      () => bodyTracker({ kind: 'chunked' }).feed(Buffer.from(body)),
      Error,
      JSON.stringify(body),
    )
  }
})

test('payload: a body without its framing, fed whole or byte by byte, nothing past its end', () => {
  const cases: Array<[BodyFraming, string, string]> = [
    [
      { kind: 'chunked' },
      '5\r\nhello\r\nA;x=1\r\n, world!!!\r\n0\r\nTrailer: v\r\n\r\nNEXT',
      'hello, world!!!',
    ],
    [{ kind: 'chunked' }, '0\r\n\r\n', ''],
    [{ kind: 'length', length: 5 }, 'helloNEXT', 'hello'],
    [{ kind: 'close' }, 'all of it', 'all of it'],
  ]
  for (const [kind, wire, content] of cases) {
    const parts: Buffer[] = []
    bodyTracker(kind).feed(Buffer.from(wire), (data) => parts.push(data))
    assert.equal(Buffer.concat(parts).toString(), content, JSON.stringify(wire))
    const bytes: Buffer[] = []
    const tracker = bodyTracker(kind)
    for (let i = 0; i < wire.length && !tracker.done; i++)
      tracker.feed(Buffer.from(wire[i] as string), (data) => bytes.push(data))
    assert.equal(Buffer.concat(bytes).toString(), content, `${JSON.stringify(wire)} byte by byte`)
  }
})
