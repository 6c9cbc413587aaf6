import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { curl } from '../helpers/curl.js'
import {
  proxyRoute,
  site,
  startProxy,
  startUpstream,
  type ProxyFixture,
  type Upstream,
} from '../helpers/proxy-fixture.js'

/** curl -i output → status, lower-cased header lines, body. */
function parse(out: string): { status: number; headers: string[]; body: string } {
  const blocks = out.split('\r\n\r\n')
  const head = blocks[0] ?? ''
  const [statusLine, ...headers] = head.split('\r\n')
  return {
    status: Number(/HTTP\/[\d.]+ (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0),
    headers: headers.map((h) => h.toLowerCase()),
    body: blocks.slice(1).join('\r\n\r\n'),
  }
}

describe('proxy: forwarding over HTTP/1.1 and HTTP/2 (curl)', () => {
  let upstream: Upstream
  let proxy: ProxyFixture
  let trustedProxy: ProxyFixture
  before(async () => {
    upstream = await startUpstream((req, res, body) => {
      res.setHeader('connection', 'x-private')
      res.setHeader('x-private', 'secret')
      res.setHeader('keep-alive', 'timeout=5')
      res.setHeader('server', 'upstream/1')
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.end(`${req.method} ${req.url} ${body.length}`)
    })
    const routes = [
      proxyRoute([upstream.url], {
        path: '/ops',
        headersUp: { set: { 'x-team': 'blue' }, remove: ['authorization'] },
        headersDown: { set: { 'x-frame-options': 'DENY' }, remove: ['server'] },
      }),
      proxyRoute([`${upstream.url}/base`], { path: '/based' }),
      proxyRoute([upstream.url], { path: '/', preserveHost: true }),
    ]
    proxy = await startProxy([site(['app.test'], routes)])
    trustedProxy = await startProxy([site(['app.test'], routes)], {
      trustedProxies: ['127.0.0.0/8'],
    })
  })
  after(async () => {
    await proxy?.close()
    await trustedProxy?.close()
    await upstream?.close()
  })

  test('HTTP/1.1: the upstream gets forwarding headers, the client gets the answer', async () => {
    const r = await curl([
      '-i',
      '--http1.1',
      '-H',
      'X-Forwarded-For: 6.6.6.6',
      '-H',
      'X-Real-IP: 6.6.6.6',
      '-H',
      'X-Forwarded-Host: evil.test',
      '-H',
      'Connection: X-Hop',
      '-H',
      'X-Hop: 1',
      '-H',
      'X_Under: 1',
      ...proxy.curlArgs('app.test', '/hello?x=1'),
    ])
    assert.equal(r.code, 0)
    const res = parse(r.stdout)
    assert.equal(res.status, 200)
    assert.equal(res.body, 'GET /hello?x=1 0')
    const seen = upstream.seen.at(-1)
    assert.ok(seen)
    assert.equal(seen.headers.host, `app.test:${proxy.port}`)
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1')
    assert.equal(seen.headers['x-forwarded-proto'], 'https')
    assert.equal(seen.headers['x-forwarded-host'], `app.test:${proxy.port}`)
    assert.equal(seen.headers.via, '1.1 gatehouse')
    assert.equal(seen.headers['x-hop'], undefined)
    assert.equal(seen.headers['x_under'], undefined)
    // Response: hop-by-hop and Connection-named fields removed, both cookies kept.
    assert.ok(!res.headers.some((h) => h.startsWith('x-private')))
    assert.ok(!res.headers.includes('keep-alive: timeout=5'))
    assert.deepEqual(
      res.headers.filter((h) => h.startsWith('set-cookie')),
      ['set-cookie: a=1', 'set-cookie: b=2'],
    )
  })

  test('HTTP/2: served on the stream API, Via names version 2', async () => {
    const r = await curl(['-i', '--http2', ...proxy.curlArgs('app.test', '/h2')])
    assert.equal(r.code, 0)
    const res = parse(r.stdout)
    assert.match(r.stdout, /^HTTP\/2 200/)
    assert.equal(res.body, 'GET /h2 0')
    assert.equal(upstream.seen.at(-1)?.headers.via, '2 gatehouse')
    assert.deepEqual(
      res.headers.filter((h) => h.startsWith('set-cookie')),
      ['set-cookie: a=1', 'set-cookie: b=2'],
    )
  })

  test('a trusted proxy peer: X-Forwarded-For extended, its other fields kept', async () => {
    const r = await curl([
      '--http1.1',
      '-H',
      'X-Forwarded-For: 198.51.100.1',
      '-H',
      'X-Forwarded-Proto: http',
      '-H',
      'X-Forwarded-Host: public.example',
      ...trustedProxy.curlArgs('app.test', '/t'),
    ])
    assert.equal(r.code, 0)
    const seen = upstream.seen.at(-1)
    assert.equal(seen?.headers['x-forwarded-for'], '198.51.100.1, 127.0.0.1')
    assert.equal(seen?.headers['x-forwarded-proto'], 'http')
    assert.equal(seen?.headers['x-forwarded-host'], 'public.example')
  })

  test('route header operations, up and down', async () => {
    for (const version of ['--http1.1', '--http2']) {
      const r = await curl([
        '-i',
        version,
        '-H',
        'Authorization: Bearer secret',
        '-H',
        'X-Team: red',
        ...proxy.curlArgs('app.test', '/ops/x'),
      ])
      const res = parse(r.stdout)
      assert.equal(res.status, 200, version)
      const seen = upstream.seen.at(-1)
      assert.equal(seen?.headers.authorization, undefined)
      assert.equal(seen?.headers['x-team'], 'blue')
      assert.ok(res.headers.includes('x-frame-options: deny'), version)
      assert.ok(!res.headers.some((h) => h.startsWith('server: upstream')), version)
    }
  })

  test('an upstream base path is prepended', async () => {
    const r = await curl(['--http1.1', ...proxy.curlArgs('app.test', '/based/x?q')])
    assert.equal(r.stdout, 'GET /base/based/x?q 0')
  })

  test('request and response bodies stream through (8 MiB each way, both protocols)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-body-'))
    const file = join(dir, 'body')
    writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 7))
    try {
      for (const version of ['--http1.1', '--http2']) {
        for (const extra of [[], ['-H', 'Transfer-Encoding: chunked']]) {
          if (version === '--http2' && extra.length > 0) continue
          const r = await curl([
            version,
            '--data-binary',
            `@${file}`,
            ...extra,
            ...proxy.curlArgs('app.test', '/up'),
          ])
          assert.equal(r.stdout, `POST /up ${8 * 1024 * 1024}`, `${version} ${extra.join(' ')}`)
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('an access-log entry per request', async () => {
    proxy.log.length = 0
    await curl(['--http2', ...proxy.curlArgs('app.test', '/logged')])
    await new Promise((r) => setTimeout(r, 50))
    const e = proxy.log.at(-1)
    assert.ok(e)
    assert.equal(e.method, 'GET')
    assert.equal(e.host, 'app.test')
    assert.equal(e.path, '/logged')
    assert.equal(e.status, 200)
    assert.equal(e.bytes, 'GET /logged 0'.length)
    assert.equal(e.upstream, upstream.url)
    assert.equal(e.proto, '2')
    assert.equal(e.remote, '127.0.0.1')
    assert.equal(typeof e.duration_ms, 'number')
    assert.match(String(e.time), /^\d{4}-\d\d-\d\dT/)
  })
})
