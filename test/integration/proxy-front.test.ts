/**
 * The front server carrying a Gateway: HTTP/2 streams reach the gateway on the stream API only (no
 * compatibility objects are ever built), and the static, redirect and fixed-response routes.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createSecureServer, type ServerHttp2Stream } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGateway } from '../../src/proxy/gateway.js'
import type { Gateway, RouteOptions } from '../../src/proxy/types.js'
import { attachGateway, DEFAULT_GATEWAY_LIMITS } from '../../src/server/gateway-listeners.js'
import { curl } from '../helpers/curl.js'
import { site, startProxy, type ProxyFixture } from '../helpers/proxy-fixture.js'

const NO_OPS = { set: {}, remove: [] }
const base = { maxBodyBytes: 1024, headersUp: NO_OPS, headersDown: NO_OPS }

describe('front: HTTP/2 on the stream API', () => {
  test('attachGateway leaves exactly one stream listener: the gateway', () => {
    const server = createSecureServer()
    const seen: string[] = []
    const gateway = { handleStream: () => seen.push('stream') } as unknown as Gateway
    attachGateway(server, gateway, DEFAULT_GATEWAY_LIMITS)
    assert.equal(server.listenerCount('stream'), 1)
    assert.equal(server.listenerCount('request'), 0)
    // Node's compatibility hook is gone: a 'request' listener added later adds no 'stream' one.
    server.on('request', () => seen.push('request'))
    assert.equal(server.listenerCount('stream'), 1)
    server.emit('stream', {} as ServerHttp2Stream, {})
    assert.deepEqual(seen, ['stream'])
  })
})

describe('front: static, redirect and respond routes (curl, both protocols)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-static-'))
  const root = join(dir, 'www')
  let proxy: ProxyFixture
  before(async () => {
    mkdirSync(join(root, 'docs'), { recursive: true })
    writeFileSync(join(root, 'index.html'), '<h1>home</h1>')
    writeFileSync(join(root, 'docs', 'index.html'), '<h1>docs</h1>')
    writeFileSync(join(root, 'app.js'), 'console.log(1)')
    writeFileSync(join(root, 'data.bin'), Buffer.from('0123456789'))
    writeFileSync(join(dir, 'secret.txt'), 'secret')
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'))
    const routes: RouteOptions[] = [
      {
        kind: 'static',
        path: '/',
        root,
        index: ['index.html'],
        ...base,
        headersDown: { set: { 'x-served': 'static' }, remove: [] },
      },
      {
        kind: 'redirect',
        path: '/old',
        to: 'https://app.test/new{path}?{query}',
        status: 308,
        ...base,
      },
      {
        kind: 'respond',
        path: '/health',
        status: 200,
        body: 'fine\n',
        contentType: 'text/plain',
        ...base,
      },
    ]
    proxy = await startProxy([site(['app.test'], routes)])
  })
  after(async () => {
    await proxy?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function get(version: string, path: string, extra: string[] = []): Promise<string> {
    const r = await curl([
      '-i',
      version,
      '--path-as-is',
      ...extra,
      ...proxy.curlArgs('app.test', path),
    ])
    return r.stdout.replace(/\r/g, '').toLowerCase()
  }

  for (const v of ['--http1.1', '--http2']) {
    test(`${v}: files, index, types, headersDown`, async () => {
      const home = await get(v, '/')
      assert.match(home, /^http\/[\d.]+ 200/)
      assert.match(home, /content-type: text\/html; charset=utf-8/)
      assert.match(home, /x-served: static/)
      assert.match(home, /<h1>home<\/h1>$/)
      assert.match(await get(v, '/app.js'), /content-type: text\/javascript/)
      assert.match(await get(v, '/docs/'), /<h1>docs<\/h1>$/)
      assert.match(await get(v, '/docs'), /^http\/[\d.]+ 308[\s\S]*location: \/docs\//)
    })

    test(`${v}: ETag and If-None-Match → 304, Range → 206`, async () => {
      const first = await get(v, '/data.bin')
      const etag = /etag: (".*")/.exec(first)?.[1]
      assert.ok(etag)
      assert.match(await get(v, '/data.bin', ['-H', `If-None-Match: ${etag}`]), /^http\/[\d.]+ 304/)
      const part = await get(v, '/data.bin', ['-H', 'Range: bytes=2-4'])
      assert.match(part, /^http\/[\d.]+ 206/)
      assert.match(part, /content-range: bytes 2-4\/10/)
      assert.match(part, /\n\n234$/)
      assert.match(await get(v, '/data.bin', ['-H', 'Range: bytes=20-']), /^http\/[\d.]+ 416/)
    })

    test(`${v}: no traversal, no symlink out of the root`, async () => {
      for (const path of [
        '/../secret.txt',
        '/%2e%2e/secret.txt',
        '/docs/..%2f..%2fsecret.txt',
        '/link.txt',
        '/nope',
      ]) {
        const out = await get(v, path)
        assert.match(out, /^http\/[\d.]+ (404|400)/, path)
        assert.doesNotMatch(out, /secret$/, path)
      }
    })

    test(`${v}: redirect and respond routes`, async () => {
      const r = await get(v, '/old/page?x=1')
      assert.match(r, /^http\/[\d.]+ 308/)
      assert.match(r, /location: https:\/\/app.test\/new\/old\/page\?x=1/)
      assert.match(await get(v, '/health'), /\n\nfine\n$/)
      assert.match(await get(v, '/', ['-X', 'POST']), /^http\/[\d.]+ 405/)
    })
  }

  test('the gateway answers serves() for its hosts only', () => {
    const g = createGateway({
      sites: [site(['app.test', '*.wild.test'], [])],
      limits: DEFAULT_GATEWAY_LIMITS,
      trustedProxies: [],
      via: 'gatehouse',
    })
    assert.equal(g.serves('APP.test:443'), true)
    assert.equal(g.serves('x.wild.test'), true)
    assert.equal(g.serves('other.test'), false)
    void g.close()
  })
})
