import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  fieldValues,
  headEnd,
  minimalResponse,
  parseResponseHead,
  serialize101Head,
  serializeFinalHead,
  serializeRequestHead,
  serializeResponseHead,
} from './http-head.js'

test('headEnd finds the empty line after the fields', () => {
  assert.equal(headEnd(Buffer.from('HTTP/1.1 101 OK\r\nA: b\r\n\r\nrest')), 25)
  assert.equal(headEnd(Buffer.from('HTTP/1.1 101 OK\r\nA: b\r\n')), -1)
  assert.equal(headEnd(Buffer.from('HTTP/1.1 101 OK\n\n')), -1)
})

test('parseResponseHead reads the status line and fields in order', () => {
  const head = parseResponseHead(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection:Upgrade\r\nX-Empty:\r\nSet-Cookie: a=1 \r\nset-cookie: b=2',
  )
  assert.equal(head.status, 101)
  assert.equal(head.reason, 'Switching Protocols')
  assert.deepEqual(head.fields, [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['X-Empty', ''],
    ['Set-Cookie', 'a=1'],
    ['set-cookie', 'b=2'],
  ])
  assert.deepEqual(fieldValues(head, 'SET-COOKIE'), ['a=1', 'b=2'])
  assert.equal(parseResponseHead('HTTP/1.0 403').reason, '')
  assert.equal(parseResponseHead('HTTP/1.1 200 ').status, 200)
})

test('parseResponseHead refuses what a proxy must not forward', () => {
  const bad: Array<[string, RegExp]> = [
    ['HTTP/2 101 x', /status line/],
    ['HTTP/1.1 1011 x', /status line/],
    ['HTTP/1.1 099 x', /status line/],
    ['ICY 200 OK', /status line/],
    ['HTTP/1.1 101 a\x00b', /reason/],
    ['HTTP/1.1 101 x\r\nUpgrade: websocket\r\n continued', /obs-fold/],
    ['HTTP/1.1 101 x\r\nUpgrade : websocket', /field name/],
    ['HTTP/1.1 101 x\r\nno colon here', /field name/],
    ['HTTP/1.1 101 x\r\nX: a\rb', /bad octet/],
    ['HTTP/1.1 101 x\r\nX: a\nInjected: 1', /bad octet/],
    ['HTTP/1.1 101 x\r\nX: a\x00', /bad octet/],
    ['HTTP/1.1 101 x\r\n: empty', /field name/],
  ]
  for (const [text, message] of bad) {
    assert.throws(() => parseResponseHead(text), message, JSON.stringify(text))
  }
})

test('serializeResponseHead rebuilds from the parsed form, dropping and adding fields', () => {
  const head = parseResponseHead(
    'HTTP/1.1 403 Forbidden\r\nConnection: keep-alive\r\nX-A: 1\r\nKeep-Alive: 5',
  )
  const out = serializeResponseHead(head, new Set(['connection', 'keep-alive']), [
    ['connection', 'close'],
  ])
  assert.equal(
    out.toString('latin1'),
    'HTTP/1.1 403 Forbidden\r\nX-A: 1\r\nconnection: close\r\n\r\n',
  )
  const latin = parseResponseHead('HTTP/1.1 101 x\r\nX: caf\xe9')
  assert.deepEqual([...serializeResponseHead(latin, new Set())].slice(-8), [
    ...Buffer.from('caf\xe9\r\n\r\n', 'latin1'),
  ])
})

test('serializeRequestHead writes every value of a field and refuses message splitting', () => {
  const out = serializeRequestHead('GET', '/ws?a=1', { host: 'app', 'x-list': ['a', 'b'] })
  assert.equal(
    out.toString(),
    'GET /ws?a=1 HTTP/1.1\r\nhost: app\r\nx-list: a\r\nx-list: b\r\n\r\n',
  )
  assert.throws(() => serializeRequestHead('GET', '/a b', {}), /request target/)
  assert.throws(() => serializeRequestHead('GET', '/\r\n', {}), /request target/)
  assert.throws(() => serializeRequestHead('G T', '/', {}), /method/)
  assert.throws(() => serializeRequestHead('GET', '/', { 'x y': '1' }), /header name/)
  assert.throws(() => serializeRequestHead('GET', '/', { x: 'a\r\nInjected: 1' }), /bad octet/)
  assert.throws(() => serializeRequestHead('GET', '/', { x: ['ok', 'a\nb'] }), /bad octet/)
})

test('minimalResponse is a complete HTTP/1.1 message that closes the connection', () => {
  const text = minimalResponse(
    502,
    'Bad Gateway',
    'upstream 127.0.0.1:1 refused the connection',
  ).toString()
  assert.equal(
    text,
    'HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 44\r\nconnection: close\r\n\r\nupstream 127.0.0.1:1 refused the connection\n',
  )
})

test('a 101 keeps Connection and Upgrade; a final answer loses hop-by-hop fields and closes', () => {
  const switching = parseResponseHead(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nKeep-Alive: 5\r\nSec-WebSocket-Accept: x',
  )
  assert.equal(
    serialize101Head(switching).toString(),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n',
  )
  const refused = parseResponseHead(
    'HTTP/1.1 403 Forbidden\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: 5\r\n' +
      'Transfer-Encoding: chunked\r\nContent-Length: 9\r\nUpgrade: websocket\r\nTE: trailers\r\nX-A: 1',
  )
  assert.equal(
    serializeFinalHead(refused).toString(),
    'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nconnection: close\r\n\r\n',
  )
  const sized = parseResponseHead('HTTP/1.1 403 Forbidden\r\nContent-Length: 9')
  assert.equal(
    serializeFinalHead(sized).toString(),
    'HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nconnection: close\r\n\r\n',
  )
})
