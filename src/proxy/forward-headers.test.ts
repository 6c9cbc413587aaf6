import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  compileHeaderOps,
  forwardRequestHeaders,
  forwardResponseHeaders,
  HOP_BY_HOP,
  isHopByHop,
  NO_HEADER_OPS,
  toHttp2Headers,
  type ForwardContext,
} from './forward-headers.js'

const ctx: ForwardContext = {
  peer: '203.0.113.7',
  trusted: false,
  host: 'app.example.com',
  upstreamHost: 'app.example.com',
  version: '1.1',
  via: 'gatehouse',
  websocket: false,
}

/** Flat pairs → `name: value` lines, for readable assertions. */
function lines(flat: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}: ${flat[i + 1]}`)
  return out
}

describe('forwardRequestHeaders', () => {
  test('sets the forwarding fields and keeps end-to-end ones', () => {
    const out = forwardRequestHeaders(
      ['Host', 'app.example.com', 'Accept', '*/*', 'User-Agent', 'curl'],
      ctx,
      NO_HEADER_OPS,
    )
    assert.deepEqual(lines(out), [
      'Accept: */*',
      'User-Agent: curl',
      'host: app.example.com',
      'x-forwarded-for: 203.0.113.7',
      'x-forwarded-proto: https',
      'x-forwarded-host: app.example.com',
      'x-real-ip: 203.0.113.7',
      'via: 1.1 gatehouse',
    ])
  })

  const hopCases: [string, string[], string[]][] = [
    [
      'Connection and the names it lists',
      ['Connection', 'close, X-Secret', 'X-Secret', '1', 'X-Kept', '2'],
      ['X-Kept: 2'],
    ],
    ['Keep-Alive', ['Keep-Alive', 'timeout=5'], []],
    ['Proxy-Connection', ['Proxy-Connection', 'keep-alive'], []],
    ['TE', ['TE', 'trailers'], []],
    ['Trailer', ['Trailer', 'X-Sum'], []],
    ['Transfer-Encoding', ['Transfer-Encoding', 'chunked'], []],
    [
      'Upgrade (not WebSocket)',
      ['Upgrade', 'h2c', 'HTTP2-Settings', 'AAMAAABkAAQCAAAAAAIAAAAA'],
      [],
    ],
    ['names with an underscore', ['X_Forwarded_For', '1.2.3.4', 'x-ok', '1'], ['x-ok: 1']],
    ['Expect', ['Expect', '100-continue'], []],
    ['Forwarded from an untrusted peer', ['Forwarded', 'for=1.2.3.4'], []],
    [
      'Proxy-Authorization (kept)',
      ['Proxy-Authorization', 'Basic eA=='],
      ['Proxy-Authorization: Basic eA=='],
    ],
    [
      'HTTP/2 pseudo-headers',
      [':method', 'GET', ':path', '/', ':authority', 'a', ':scheme', 'https'],
      [],
    ],
    [
      'two Connection fields',
      ['Connection', 'a', 'Connection', 'b', 'a', '1', 'b', '2', 'c', '3'],
      ['c: 3'],
    ],
  ]
  for (const [name, raw, kept] of hopCases) {
    test(`hop-by-hop and spoofable fields: ${name}`, () => {
      const out = lines(forwardRequestHeaders(raw, ctx, NO_HEADER_OPS))
      assert.deepEqual(out.slice(0, out.length - 6), kept)
    })
  }

  test('overwrites client-sent forwarding fields from an untrusted peer', () => {
    const raw = [
      'X-Forwarded-For',
      '1.1.1.1',
      'X-Forwarded-Proto',
      'http',
      'X-Forwarded-Host',
      'evil.test',
      'X-Real-IP',
      '1.1.1.1',
    ]
    const out = lines(forwardRequestHeaders(raw, ctx, NO_HEADER_OPS))
    assert.ok(out.includes('x-forwarded-for: 203.0.113.7'))
    assert.ok(out.includes('x-forwarded-proto: https'))
    assert.ok(out.includes('x-forwarded-host: app.example.com'))
    assert.ok(out.includes('x-real-ip: 203.0.113.7'))
    assert.equal(out.filter((l) => l.toLowerCase().startsWith('x-')).length, 4)
  })

  test('extends X-Forwarded-For and keeps the others from a trusted proxy', () => {
    const raw = [
      'X-Forwarded-For',
      '198.51.100.1',
      'x-forwarded-for',
      '10.0.0.2',
      'X-Forwarded-Proto',
      'http',
      'X-Forwarded-Host',
      'public.example.com',
      'X-Real-IP',
      '198.51.100.1',
      'Forwarded',
      'for=198.51.100.1',
    ]
    const out = lines(
      forwardRequestHeaders(raw, { ...ctx, trusted: true, peer: '10.0.0.3' }, NO_HEADER_OPS),
    )
    assert.deepEqual(out, [
      'Forwarded: for=198.51.100.1',
      'host: app.example.com',
      'x-forwarded-for: 198.51.100.1, 10.0.0.2, 10.0.0.3',
      'x-forwarded-proto: http',
      'x-forwarded-host: public.example.com',
      'x-real-ip: 198.51.100.1',
      'via: 1.1 gatehouse',
    ])
  })

  test('appends to Via and names HTTP/2', () => {
    const out = lines(
      forwardRequestHeaders(['Via', '1.1 cdn'], { ...ctx, version: '2' }, NO_HEADER_OPS),
    )
    assert.ok(out.includes('via: 1.1 cdn, 2 gatehouse'))
  })

  test('joins split HTTP/2 cookies into one field', () => {
    const out = lines(forwardRequestHeaders(['cookie', 'a=1', 'cookie', 'b=2'], ctx, NO_HEADER_OPS))
    assert.equal(out[0], 'cookie: a=1; b=2')
  })

  test('sends the upstream host when preserveHost is off', () => {
    const out = lines(
      forwardRequestHeaders([], { ...ctx, upstreamHost: '127.0.0.1:8080' }, NO_HEADER_OPS),
    )
    assert.equal(out[0], 'host: 127.0.0.1:8080')
    assert.ok(out.includes('x-forwarded-host: app.example.com'))
  })

  test('keeps Upgrade and sends Connection: upgrade on the WebSocket path', () => {
    const raw = ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']
    const out = lines(forwardRequestHeaders(raw, { ...ctx, websocket: true }, NO_HEADER_OPS))
    assert.ok(out.includes('Sec-WebSocket-Key: k'))
    assert.deepEqual(out.slice(-2), ['connection: upgrade', 'upgrade: websocket'])
  })

  test('applies the route operations after the forwarding fields', () => {
    const ops = compileHeaderOps({
      set: { 'X-Real-IP': 'hidden', 'x-team': 'blue', host: 'internal.test' },
      remove: ['authorization', 'x-forwarded-host', 'host'],
    })
    const raw = ['Authorization', 'Bearer t', 'X-Team', 'red', 'Accept', '*/*']
    const out = lines(forwardRequestHeaders(raw, ctx, ops))
    assert.deepEqual(out, [
      'Accept: */*',
      'x-forwarded-for: 203.0.113.7',
      'x-forwarded-proto: https',
      'via: 1.1 gatehouse',
      'x-real-ip: hidden',
      'x-team: blue',
      'host: internal.test',
    ])
  })

  test('a bare remove of Host keeps the Host upstream', () => {
    const out = lines(
      forwardRequestHeaders([], ctx, compileHeaderOps({ set: {}, remove: ['host'] })),
    )
    assert.equal(out[0], 'host: app.example.com')
  })
})

describe('forwardResponseHeaders', () => {
  test('removes hop-by-hop fields and those named in Connection, keeps the rest in order', () => {
    const raw = [
      'Content-Type',
      'text/plain',
      'Connection',
      'keep-alive, X-Internal',
      'Keep-Alive',
      'timeout=5',
      'X-Internal',
      'secret',
      'Transfer-Encoding',
      'chunked',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
    ].map((s) => Buffer.from(s, 'latin1'))
    assert.deepEqual(lines(forwardResponseHeaders(raw, NO_HEADER_OPS)), [
      'Content-Type: text/plain',
      'Set-Cookie: a=1',
      'Set-Cookie: b=2',
    ])
  })

  test('drops every hop-by-hop field in any case, and nothing of the same length', () => {
    const names = [...HOP_BY_HOP].flatMap((n) => [n, n.toUpperCase(), n.replace(/^./, 'X')])
    const raw = names.flatMap((n) => [Buffer.from(n), Buffer.from('v')])
    const kept = forwardResponseHeaders(raw, NO_HEADER_OPS).filter((_, i) => i % 2 === 0)
    assert.deepEqual(
      kept,
      [...HOP_BY_HOP].map((n) => n.replace(/^./, 'X')),
    )
    for (const n of names) assert.equal(isHopByHop(n), HOP_BY_HOP.has(n), n)
  })

  test('applies headersDown and adds the stickiness cookie', () => {
    const ops = compileHeaderOps({ set: { 'x-frame-options': 'DENY' }, remove: ['server'] })
    const out = forwardResponseHeaders(
      ['Server', 'nginx', 'X-Frame-Options', 'SAMEORIGIN'],
      ops,
      'u=1',
    )
    assert.deepEqual(lines(out), ['set-cookie: u=1', 'x-frame-options: DENY'])
  })
})

describe('toHttp2Headers', () => {
  test('keeps Set-Cookie as a list and joins other repeats', () => {
    const h = toHttp2Headers(
      ['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'Vary', 'a', 'vary', 'b'],
      200,
    )
    assert.deepEqual(h, { ':status': 200, 'set-cookie': ['a=1', 'b=2'], vary: 'a, b' })
  })
})
