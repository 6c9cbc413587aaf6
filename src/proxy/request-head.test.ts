import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseRequestHead, type RequestHead } from './request-head.js'
import type { Refusal } from './request-checks.js'

const MAX = 16 * 1024
const parse = (text: string, max = MAX): RequestHead | Refusal | undefined =>
  parseRequestHead(Buffer.from(text, 'latin1'), max)

function head(text: string): RequestHead {
  const out = parse(text)
  assert.ok(out !== undefined && !('status' in out), `parses: ${JSON.stringify(out)}`)
  return out
}

function refused(text: string, max = MAX): number {
  const out = parse(text, max)
  assert.ok(out !== undefined && 'status' in out, `refused: ${JSON.stringify(text.slice(0, 60))}`)
  assert.equal(out.close, true)
  return out.status
}

test('a GET: request line, fields as sent with values trimmed, size up to the body', () => {
  const text = 'GET /a?b=1 HTTP/1.1\r\nHost: app.test\r\nX-A:  one \t\r\nx-a: two\r\n\r\nBODY'
  const h = head(text)
  assert.equal(h.method, 'GET')
  assert.equal(h.target, '/a?b=1')
  assert.equal(h.version, '1.1')
  assert.deepEqual(h.rawHeaders, ['Host', 'app.test', 'X-A', 'one', 'x-a', 'two'])
  assert.equal(h.size, text.length - 4)
  assert.equal(h.contentLength, undefined)
  assert.equal(h.chunked, false)
  assert.equal(h.close, false)
  assert.equal(h.upgrade, false)
  // obs-text (RFC 9110 §5.5) is a valid value octet.
  assert.deepEqual(head('GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n').rawHeaders, ['X', 'caf\xe9'])
})

test('every proper prefix of a head is undefined; the whole head parses', () => {
  const text = 'POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n'
  for (let n = 0; n < text.length; n++) assert.equal(parse(text.slice(0, n)), undefined, String(n))
  const h = head(text)
  assert.equal(h.contentLength, 5)
  assert.equal(h.size, text.length)
})

test('pipelined requests: size is where the next one starts', () => {
  const one = 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'
  const buf = Buffer.from(`${one}GET /2 HTTP/1.1\r\nHost: a\r\n\r\n`, 'latin1')
  const first = parseRequestHead(buf, MAX)
  assert.ok(first && !('status' in first))
  assert.equal(first.size, one.length)
  const second = parseRequestHead(buf.subarray(first.size), MAX)
  assert.ok(second && !('status' in second))
  assert.equal(second.target, '/2')
})

test('one or a few empty lines before the request line are skipped (RFC 9112 §2.2), many refused', () => {
  const h = head('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.equal(h.size, 4 + 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'.length)
  assert.equal(refused(`${'\r\n'.repeat(20)}GET / HTTP/1.1\r\nHost: a\r\n\r\n`), 400)
})

test('framing: Content-Length, Transfer-Encoding, both, twice', () => {
  assert.equal(head('POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n').contentLength, 7)
  assert.equal(head('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n').chunked, true)
  for (const value of ['+5', '-5', '0x5', '5.0', '5,5', '5, 5', '', 'five', '5 5', '1'.repeat(16)])
    assert.equal(refused(`POST / HTTP/1.1\r\nContent-Length: ${value}\r\n\r\n`), 400, value)
  assert.equal(refused('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n'), 400)
  assert.equal(
    refused('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n'),
    400,
  )
  assert.equal(
    refused('POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n'),
    400,
  )
})

test('line endings: bare LF and bare CR anywhere in the head are refused', () => {
  assert.equal(refused('GET / HTTP/1.1\nHost: a\n\n'), 400)
  assert.equal(refused('GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n'), 400)
  assert.equal(refused('GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n'), 400)
  assert.equal(refused('GET / HTTP/1.1\r\nX: a\rb\r\n\r\n'), 400)
  // Refused as soon as it is seen, not when the head ends.
  assert.equal(refused('GET / HTTP/1.1\r\nX: a\nb'), 400)
  assert.equal(refused('GET / HTTP/1.1\r\nX: a\rb'), 400)
  // A CR whose LF has not arrived yet is not bare.
  assert.equal(parse('GET / HTTP/1.1\r\nX: a\r'), undefined)
})

test('field lines: obs-fold, space before the colon, bad names and bad value octets', () => {
  const bad = [
    'X-A: 1\r\n folded',
    'X-A: 1\r\n\tfolded',
    'X-A : 1',
    'X-A\t: 1',
    ': 1',
    'X A: 1',
    '[X]: 1',
    'X-\x7fA: 1',
    'X-\x00A: 1',
    'no colon',
    'X-A: a\x00b',
    'X-A: a\x0bb',
    'X-A: \x1f',
    'X-A: a\x7f',
  ]
  for (const line of bad)
    assert.equal(refused(`GET / HTTP/1.1\r\nHost: a\r\n${line}\r\n\r\n`), 400, JSON.stringify(line))
  // A value may be empty, and HTAB inside a value is kept.
  assert.deepEqual(head('GET / HTTP/1.1\r\nX-A:\r\nX-B: a\tb\r\n\r\n').rawHeaders, [
    'X-A',
    '',
    'X-B',
    'a\tb',
  ])
})

test('request line: methods, separators, targets, versions', () => {
  assert.equal(head('GET  /x HTTP/1.1\r\n\r\n').target, '/x')
  assert.equal(head('M-SEARCH * HTTP/1.1\r\n\r\n').method, 'M-SEARCH')
  assert.equal(head('GET /x HTTP/2.0\r\n\r\n').version, '2.0')
  assert.equal(head('GET /x\r\nHost: a\r\n\r\n').version, '0.9')
  assert.equal(head('GET /x HTTP/1.0\r\n\r\n').version, '1.0')
  const bad = [
    'get / HTTP/1.1',
    'FOO / HTTP/1.1',
    'GET\t/ HTTP/1.1',
    'GET / HTTP/1.1 ',
    'GET / x HTTP/1.1',
    'GET /\x00 HTTP/1.1',
    'GET /caf\xe9 HTTP/1.1',
    'GET / HTTP/1.2',
    'GET / HTTP/3.0',
    'GET / http/1.1',
    'GET / HTTP/11',
    ' GET / HTTP/1.1',
    'PRI * HTTP/2.0',
  ]
  for (const line of bad)
    assert.equal(refused(`${line}\r\nHost: a\r\n\r\n`), 400, JSON.stringify(line))
})

test('the hard bound: 431 once the head passes it, complete or not', () => {
  const big = `GET / HTTP/1.1\r\nX: ${'b'.repeat(200)}\r\n\r\n`
  assert.equal(refused(big, 100), 431)
  assert.equal(refused(big.slice(0, 150), 100), 431)
  assert.equal(parse(big.slice(0, 100), 100), undefined)
  assert.equal(head(big).rawHeaders[1]?.length, 200)
})

test('connection options: close, HTTP/1.0 keep-alive, upgrade', () => {
  assert.equal(head('GET / HTTP/1.1\r\nConnection: close\r\n\r\n').close, true)
  assert.equal(head('GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n').close, true)
  assert.equal(head('GET / HTTP/1.0\r\n\r\n').close, true)
  assert.equal(head('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').close, false)
  const ws = head('GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n')
  assert.equal(ws.upgrade, true)
  assert.equal(head('GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n').upgrade, false)
  assert.equal(head('GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n').upgrade, false)
})

/**
 * What a connection gets parsing `text` as it arrives cut at `cuts`, each parse resuming where the
 * last one stopped; every step must give what a parse of the same bytes from the start gives.
 */
function parseInPieces(text: string, cuts: readonly number[], max = MAX): void {
  const all = Buffer.from(text, 'latin1')
  let scanned = 0
  for (const end of [...cuts, all.length]) {
    const buf = all.subarray(0, end)
    const resumed = parseRequestHead(buf, max, scanned)
    const where = `${JSON.stringify(text.slice(0, 40))} cut at ${cuts.join(',')}, at ${end}`
    assert.deepEqual(resumed, parseRequestHead(buf, max), where)
    if (resumed !== undefined) return
    scanned = end
  }
}

test('a head in pieces: cut anywhere, even inside its CRLF CRLF, it reads as in one piece', () => {
  const cases: [string, number?][] = [
    ['POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'],
    ['\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next'],
    [`${'\r\n'.repeat(9)}GET / HTTP/1.1\r\n\r\n`],
    ['GET / HTTP/1.1\r\nX: a\rb\r\n\r\n'],
    ['GET / HTTP/1.1\r\nX: a\nb\r\n\r\n'],
    ['GET / HTTP/1.1\r\nHost: a\r\n\n'],
    ['GET / HTTP/1.1\r\nHost: a\r\r\n\r\n'],
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\r\n'],
    ['\nGET / HTTP/1.1\r\n\r\n'],
    ['\r\n\rGET / HTTP/1.1\r\n\r\n'],
    [`GET / HTTP/1.1\r\nX: ${'b'.repeat(200)}\r\n\r\n`, 100],
  ]
  for (const [text, max = MAX] of cases) {
    for (let cut = 0; cut <= text.length; cut++) parseInPieces(text, [cut], max)
    for (let cut = 0; cut + 1 <= text.length; cut++) parseInPieces(text, [cut, cut + 1], max)
    parseInPieces(
      text,
      Array.from({ length: text.length }, (_, i) => i),
      max,
    )
  }
})

test('a head that arrives a byte at a time is searched once, not once per byte', () => {
  // Short lines: many LFs and CRs, the worst case for a search restarted at every packet.
  const all = Buffer.from(`GET / HTTP/1.1\r\n${'a:\r\n'.repeat(1000)}\r\n`, 'latin1')
  const counter = { bytes: 0 }
  let scanned = 0
  let out: RequestHead | Refusal | undefined
  for (let n = 1; n <= all.length && out === undefined; n++) {
    out = parseRequestHead(counted(all.subarray(0, n), counter), MAX, scanned)
    scanned = n
  }
  assert.ok(out !== undefined && !('status' in out) && out.rawHeaders.length === 2000)
  // Each byte is passed over by the LF and the CR searches, plus a byte or two of overlap per
  // packet; from the start each time it would be about all.length² bytes.
  assert.ok(counter.bytes < 4 * all.length, `${counter.bytes} bytes searched for ${all.length}`)
})

/** `buf`, the bytes its indexOf calls pass over added to `counter.bytes`. */
function counted(buf: Buffer, counter: { bytes: number }): Buffer {
  const indexOf = buf.indexOf.bind(buf)
  buf.indexOf = ((value: number, from: number): number => {
    const at = indexOf(value, from)
    counter.bytes += (at === -1 ? buf.length : at + 1) - from
    return at
  }) as Buffer['indexOf']
  return buf
}
