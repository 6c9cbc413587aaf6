/**
 * The malformed and smuggling requests of proxy-smuggling.test.ts. Each case's path carries its id
 * (`/k007`), so the recording upstream can tell which case reached it. `expect` is the first status
 * (the connection must then be closed, except for 404/421), `ok` (forwarded, normalised) or
 * `dropped` (connection closed with no answer, nothing forwarded).
 */
import assert from 'node:assert/strict'
import type { ReadRequest } from '../helpers/strict-http.js'

export interface Case {
  id: string
  name: string
  raw: string
  expect: number | 'ok' | 'dropped'
  /** Requests expected upstream for this case (default 1 for ok, 0 otherwise). */
  forwarded?: number
  check?: (seen: ReadRequest[]) => void
}

const H = 'Host: app.test'
const cases: Omit<Case, 'id'>[] = []
let path = ''

/** Adds a case; `{p}` in `head` lines stands for the case's path. */
function add(
  name: string,
  head: string[],
  body: string,
  expect: Case['expect'],
  extra: Partial<Case> = {},
): void {
  cases.push({ name, raw: `${head.join('\r\n')}\r\n\r\n${body}`, expect, ...extra })
}
const post = (lines: string[]): string[] => ['POST {p} HTTP/1.1', H, ...lines]
const get = (lines: string[] = []): string[] => ['GET {p} HTTP/1.1', H, ...lines]
const header = (seen: ReadRequest[], name: string): string[] =>
  seen.flatMap((r) => r.headers.filter(([k]) => k === name).map(([, v]) => v))

// ── CL.TE and TE.CL ───────────────────────────────────────────────────────────────────────────────
add('CL.TE', post(['Content-Length: 6', 'Transfer-Encoding: chunked']), '0\r\n\r\nG', 400)
add(
  'TE.CL',
  post(['Transfer-Encoding: chunked', 'Content-Length: 3']),
  '8\r\nSMUGGLED\r\n0\r\n\r\n',
  400,
)
add(
  'CL.TE, CL first with 0',
  post(['Content-Length: 0', 'Transfer-Encoding: chunked']),
  '0\r\n\r\n',
  400,
)
add(
  'TE.CL with GPOST',
  post(['Transfer-Encoding: chunked', 'Content-Length: 4']),
  '5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n',
  400,
)

// ── Transfer-Encoding variants (TE.TE) ───────────────────────────────────────────────────────────
const chunkedBody = '5\r\nhello\r\n0\r\n\r\n'
const teValues: [string, Case['expect']][] = [
  ['chunked', 'ok'],
  ['Chunked', 'ok'],
  ['CHUNKED', 'ok'],
  ['xchunked', 501],
  ['chunkedx', 501],
  ['chunk', 501],
  ['"chunked"', 501],
  ['chunked, identity', 501],
  ['identity, chunked', 501],
  ['gzip, chunked', 501],
  ['chunked, chunked', 501],
  ['chunked;q=1', 501],
  ['identity', 501],
  ['gzip', 501],
  ['x', 501],
  [' chunked', 'ok'],
  ['chunked ', 'ok'],
  ['\tchunked', 'ok'],
  // RFC 9110 §5.5: trailing HTAB is whitespace around the value, not part of it.
  ['chunked\t', 'ok'],
  ['\x0bchunked', 400],
  ['chunked\x0b', 400],
  ['\x0cchunked', 400],
  ['chun\x00ked', 400],
  ['chunked\r', 400],
  ['', 501],
  [',chunked', 501],
  ['chunked,', 501],
]
for (const [value, expect] of teValues) {
  add(
    `Transfer-Encoding: ${JSON.stringify(value)}`,
    post([`Transfer-Encoding: ${value}`]),
    chunkedBody,
    expect,
    // Re-framed by us: chunked, or a Content-Length once undici has the whole (small) body.
    expect === 'ok' ? { check: (seen) => assert.equal(seen.length, 1) } : {},
  )
}
add(
  'Transfer-Encoding twice',
  post(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']),
  chunkedBody,
  501,
)
add(
  'Transfer-Encoding chunked then identity',
  post(['Transfer-Encoding: chunked', 'Transfer-Encoding: identity']),
  chunkedBody,
  501,
)
add(
  'Transfer-Encoding identity then chunked',
  post(['Transfer-Encoding: identity', 'Transfer-Encoding: chunked']),
  chunkedBody,
  501,
)
add('space before colon', post(['Transfer-Encoding : chunked']), chunkedBody, 400)
add('tab before colon', post(['Transfer-Encoding\t: chunked']), chunkedBody, 400)
add('obs-fold TE value', post(['Transfer-Encoding:', ' chunked']), chunkedBody, 400)
add(
  'obs-fold after another field',
  post(['X-A: 1', ' Transfer-Encoding: chunked', 'Content-Length: 5']),
  'hello',
  400,
)
add('TE name with NUL', post(['Transfer-Encoding\x00: chunked']), chunkedBody, 400)
add(
  'TE with an underscore',
  post(['Transfer_Encoding: chunked', 'Content-Length: 5']),
  'hello',
  'ok',
  {
    check: (seen) => assert.deepEqual(header(seen, 'content-length'), ['5']),
  },
)
add('TE on HTTP/1.0', ['POST {p} HTTP/1.0', H, 'Transfer-Encoding: chunked'], chunkedBody, 400)
add('TE in a GET', get(['Transfer-Encoding: chunked']), '0\r\n\r\n', 'ok')

// ── Content-Length variants ───────────────────────────────────────────────────────────────────────
const clValues: [string, Case['expect']][] = [
  ['5', 'ok'],
  [' 5', 'ok'],
  ['5 ', 'ok'],
  ['\t5', 'ok'],
  ['+5', 400],
  ['-5', 400],
  ['0x5', 400],
  ['5.0', 400],
  ['5e0', 400],
  ['05', 'ok'],
  ['5, 5', 400],
  ['5,5', 400],
  ['5, 6', 400],
  ['99999999999999999999999', 400],
  ['', 400],
  ['five', 400],
  ['5\x00', 400],
  ['5 5', 400],
]
for (const [value, expect] of clValues) {
  add(
    `Content-Length: ${JSON.stringify(value)}`,
    post([`Content-Length: ${value}`]),
    'hello',
    expect,
    expect === 'ok'
      ? { check: (seen) => assert.deepEqual(header(seen, 'content-length'), ['5']) }
      : {},
  )
}
add('Content-Length twice, same', post(['Content-Length: 5', 'Content-Length: 5']), 'hello', 400)
add(
  'Content-Length twice, different',
  post(['Content-Length: 5', 'Content-Length: 6']),
  'hello!',
  400,
)
add('Content-Length space before colon', post(['Content-Length : 5']), 'hello', 400)
add('Content-Length obs-fold', post(['Content-Length:', ' 5']), 'hello', 400)
add(
  'body longer than Content-Length',
  post(['Content-Length: 5']),
  'helloGET / HTTP/1.1\r\n',
  'ok',
  {
    check: (seen) => assert.equal(seen.length, 1),
  },
)
add('Content-Length on a GET', get(['Content-Length: 5']), 'hello', 'ok')

// ── Chunked bodies ────────────────────────────────────────────────────────────────────────────────
const chunkBodies: [string, string, Case['expect']][] = [
  ['plain', '5\r\nhello\r\n0\r\n\r\n', 'ok'],
  ['upper-case hex', 'A\r\n0123456789\r\n0\r\n\r\n', 'ok'],
  ['leading zeros', '005\r\nhello\r\n0\r\n\r\n', 'ok'],
  ['extension', '5;a=b\r\nhello\r\n0\r\n\r\n', 'ok'],
  ['quoted extension', '5;a="b c"\r\nhello\r\n0\r\n\r\n', 'ok'],
  ['trailer field', '5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n', 'ok'],
  ['negative size', '-5\r\nhello\r\n0\r\n\r\n', 400],
  ['0x size', '0x5\r\nhello\r\n0\r\n\r\n', 400],
  ['not hex', 'g\r\nhello\r\n0\r\n\r\n', 400],
  ['empty size', '\r\nhello\r\n0\r\n\r\n', 400],
  ['space in size', '5 5\r\nhello\r\n0\r\n\r\n', 400],
  ['size overflow', 'fffffffffffffffff\r\nhello\r\n0\r\n\r\n', 400],
  ['bare LF after size', '5\nhello\r\n0\r\n\r\n', 400],
  ['bare CR after size', '5\rhello\r\n0\r\n\r\n', 400],
  ['data longer than size', '3\r\nhello\r\n0\r\n\r\n', 400],
  ['no CRLF after data', '5\r\nhelloX\r\n0\r\n\r\n', 400],
  ['bare LF after data', '5\r\nhello\n0\r\n\r\n', 400],
  ['extension with bare LF', '5;a=b\nhello\r\n0\r\n\r\n', 400],
  ['extension with bare CR', '5;a\rb\r\nhello\r\n0\r\n\r\n', 400],
  ['extension with NUL', '5;a=\x00\r\nhello\r\n0\r\n\r\n', 400],
  ['unterminated quoted extension', '5;a="b\r\nhello\r\n0\r\n\r\n', 400],
  [
    'smuggled request after last chunk',
    '0\r\n\r\nGET /k999 HTTP/1.1\r\nHost: evil.test\r\n\r\n',
    'ok',
  ],
]
for (const [name, body, expect] of chunkBodies) {
  add(`chunked body: ${name}`, post(['Transfer-Encoding: chunked']), body, expect)
}

// ── Host ──────────────────────────────────────────────────────────────────────────────────────────
add('no Host', ['GET {p} HTTP/1.1'], '', 400)
add('two Host, same', get([H]), '', 400)
add('two Host, different', get(['Host: evil.test']), '', 400)
add('two Host, case', ['GET {p} HTTP/1.1', 'host: app.test', 'HOST: app.test'], '', 400)
add('empty Host', ['GET {p} HTTP/1.1', 'Host: '], '', 400)
add('Host with a list', ['GET {p} HTTP/1.1', 'Host: app.test, evil.test'], '', 400)
add('Host with userinfo', ['GET {p} HTTP/1.1', 'Host: evil@app.test'], '', 400)
add('Host with a path', ['GET {p} HTTP/1.1', 'Host: app.test/x'], '', 400)
add('Host with NUL', ['GET {p} HTTP/1.1', 'Host: app.test\x00'], '', 400)
add('Host with a port', ['GET {p} HTTP/1.1', 'Host: app.test:443'], '', 'ok')
add('Host with a trailing dot', ['GET {p} HTTP/1.1', 'Host: app.test.'], '', 'ok')
add('Host upper case', ['GET {p} HTTP/1.1', 'Host: APP.TEST'], '', 'ok')
add('Host of another site than SNI', ['GET {p} HTTP/1.1', 'Host: other.test'], '', 421)
add('Host nobody serves, SNI app.test', ['GET {p} HTTP/1.1', 'Host: evil.test'], '', 421)
add('absolute-form, same host', ['GET https://app.test{p} HTTP/1.1', H], '', 'ok')
add('absolute-form, http scheme', ['GET http://app.test{p}?q HTTP/1.1', H], '', 'ok', {
  check: (seen) => assert.ok(seen.every((r) => r.target.startsWith('/'))),
})
add('absolute-form, other host', ['GET http://evil.test{p} HTTP/1.1', H], '', 400)
add('absolute-form, userinfo', ['GET http://app.test@evil.test{p} HTTP/1.1', H], '', 400)
add('absolute-form, odd scheme', ['GET ftp://app.test{p} HTTP/1.1', H], '', 400)
add('authority-form on GET', ['GET app.test:443 HTTP/1.1', H], '', 400)
add('asterisk-form on GET', ['GET * HTTP/1.1', H], '', 400)
// Plain CONNECT tunnels are not offered: its authority-form target is refused like any other.
add('CONNECT', ['CONNECT app.test:443 HTTP/1.1', H], '', 400)

// ── NUL, bare CR, bare LF, control characters ─────────────────────────────────────────────────────
add('NUL in a value', get(['X-A: a\x00b']), '', 400)
add('NUL in a name', get(['X-\x00A: a']), '', 400)
add('NUL in the target', ['GET {p}\x00 HTTP/1.1', H], '', 400)
add('bare CR in a value', get(['X-A: a\rb']), '', 400)
add('bare CR line end', ['GET {p} HTTP/1.1', `${H}\rX-A: 1`], '', 400)
add('bare LF line ends', [], `GET {p} HTTP/1.1\n${H}\n\n`, 400)
add('bare LF in the head', ['GET {p} HTTP/1.1', `${H}\nX-A: 1`], '', 400)
add('DEL in a name', get(['X-\x7fA: a']), '', 400)
add('space in a name', get(['X A: a']), '', 400)
add('empty name', get([': a']), '', 400)
add('bracket in a name', get(['[X]: a']), '', 400)
add('high-bit byte in a value', get(['X-A: caf\xe9']), '', 'ok')
add('field with an underscore dropped', get(['X_Forwarded_For: 6.6.6.6']), '', 'ok', {
  check: (seen) => assert.deepEqual(header(seen, 'x-forwarded-for'), ['127.0.0.1']),
})
add('client X-Forwarded-For overwritten', get(['X-Forwarded-For: 6.6.6.6']), '', 'ok', {
  check: (seen) => assert.deepEqual(header(seen, 'x-forwarded-for'), ['127.0.0.1']),
})

// ── Request line ──────────────────────────────────────────────────────────────────────────────────
add('lower-case method', ['get {p} HTTP/1.1', H], '', 400)
add('unknown method', ['FOO {p} HTTP/1.1', H], '', 400)
add('two spaces (llhttp reads one target; we rebuild the line)', ['GET  {p} HTTP/1.1', H], '', 'ok')
add('tab separator', ['GET\t{p} HTTP/1.1', H], '', 400)
add('trailing space', ['GET {p} HTTP/1.1 ', H], '', 400)
add('space in the target', ['GET {p} x HTTP/1.1', H], '', 400)
add('HTTP/1.2', ['GET {p} HTTP/1.2', H], '', 400)
add('HTTP/2.0 over HTTP/1', ['GET {p} HTTP/2.0', H], '', 505)
add('HTTP/2 preface', [], 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400)
add('no version (HTTP/0.9)', ['GET {p}', H], '', 505)
add('HTTP/1.0 with Host', ['GET {p} HTTP/1.0', H], '', 'ok')

// ── Sizes ─────────────────────────────────────────────────────────────────────────────────────────
add('request-target of 9000 bytes', [`GET {p}/${'a'.repeat(9000)} HTTP/1.1`, H], '', 414)
// Beyond the parser's bound on the whole head (URL + fields + slack), the head as a whole is too big.
add('request-target of 40000 bytes', [`GET {p}/${'a'.repeat(40000)} HTTP/1.1`, H], '', 431)
add('one field of 17000 bytes', get([`X-Big: ${'b'.repeat(17000)}`]), '', 431)
add('one field of 40000 bytes', get([`X-Big: ${'b'.repeat(40000)}`]), '', 431)
add('150 fields', get(Array.from({ length: 150 }, (_, i) => `X-H${i}: ${i}`)), '', 431)
add('2000 fields', get(Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`)), '', 431)
add('99 fields', get(Array.from({ length: 98 }, (_, i) => `X-H${i}: ${i}`)), '', 'ok')

// ── Upgrade ───────────────────────────────────────────────────────────────────────────────────────
const h2cCheck = (seen: ReadRequest[]): void => {
  assert.deepEqual(header(seen, 'upgrade'), [])
  assert.deepEqual(header(seen, 'http2-settings'), [])
}
add(
  'h2c upgrade',
  get([
    'Connection: Upgrade, HTTP2-Settings',
    'Upgrade: h2c',
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
  ]),
  '',
  'ok',
  { check: h2cCheck },
)
add(
  'h2c upgrade, no Connection',
  get(['Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA']),
  '',
  'ok',
  { check: h2cCheck },
)
add(
  'h2c upgrade, with a body',
  post(['Connection: Upgrade', 'Upgrade: h2c', 'Content-Length: 5']),
  'hello',
  400,
)
add('upgrade to something else', get(['Connection: Upgrade', 'Upgrade: foo/1']), '', 'ok', {
  check: h2cCheck,
})
add(
  'h2c upgrade, other Host',
  ['GET {p} HTTP/1.1', 'Host: other.test', 'Connection: Upgrade', 'Upgrade: h2c'],
  '',
  421,
)

// ── Pipelining and hop-by-hop ─────────────────────────────────────────────────────────────────────
add(
  'two pipelined GETs',
  [],
  `GET {p} HTTP/1.1\r\n${H}\r\n\r\nGET {p} HTTP/1.1\r\n${H}\r\n\r\n`,
  'ok',
  { forwarded: 2 },
)
add('Connection names Host', get(['Connection: Host']), '', 'ok', {
  check: (seen) => assert.deepEqual(header(seen, 'host'), ['app.test']),
})
add(
  'Connection names Content-Length',
  post(['Connection: Content-Length', 'Content-Length: 5']),
  'hello',
  'ok',
  {
    check: (seen) => assert.equal(seen.length, 1),
  },
)
add('Connection names X-Forwarded-For', get(['Connection: X-Forwarded-For']), '', 'ok', {
  check: (seen) => assert.deepEqual(header(seen, 'x-forwarded-for'), ['127.0.0.1']),
})
add('Expect: 100-continue', post(['Expect: 100-continue', 'Content-Length: 5']), 'hello', 'ok', {
  check: (seen) => assert.deepEqual(header(seen, 'expect'), []),
})
add(
  'Keep-Alive and Proxy-Connection',
  get(['Keep-Alive: 1', 'Proxy-Connection: keep-alive', 'TE: trailers', 'Trailer: X']),
  '',
  'ok',
  {
    check: (seen) => {
      for (const n of ['keep-alive', 'proxy-connection', 'te', 'trailer'])
        assert.deepEqual(header(seen, n), [], n)
    },
  },
)

export const CORPUS: Case[] = cases.map((c, i) => {
  const id = `k${String(i + 1).padStart(3, '0')}`
  path = `/${id}`
  return { ...c, id, raw: c.raw.replaceAll('{p}', path) }
})
