/**
 * Dot-segments and encodings through the real gateway (raw TLS and HTTP/2): a path is routed and
 * forwarded in its normalised form (src/proxy/normalize-path.ts), so `/public/../private` reaches
 * the `/private` route's upstream as `/private` and never the `/public` upstream; ambiguous or
 * root-climbing paths get 400 and reach no upstream; and no encoding serves a file outside a static
 * route's folder.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as http2Connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RouteOptions } from '../../src/proxy/types.js'
import {
  firstStatus,
  proxyRoute,
  rawTls,
  site,
  startProxy,
  startUpstream,
  type ProxyFixture,
  type Upstream,
} from '../helpers/proxy-fixture.js'

const NO_OPS = { set: {}, remove: [] }
const SECRET = 'the-secret-outside-the-root'

function get(proxy: ProxyFixture, host: string, path: string): Promise<{ text: string }> {
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`
  return rawTls(proxy.port, host, request, proxy.rootPem)
}

function bodyOf(text: string): string {
  const at = text.indexOf('\r\n\r\n')
  return at < 0 ? '' : text.slice(at + 4)
}

describe('proxy: dot-segments are resolved before routing', () => {
  let proxy: ProxyFixture
  let publicUp: Upstream
  let privateUp: Upstream
  before(async () => {
    publicUp = await startUpstream((req, res) => res.end(`public ${req.url}`))
    privateUp = await startUpstream((req, res) => res.end(`private ${req.url}`))
    proxy = await startProxy([
      site(
        ['app.test'],
        [
          proxyRoute([publicUp.url], { path: '/public' }),
          proxyRoute([privateUp.url], { path: '/private' }),
        ],
      ),
    ])
  })
  after(async () => {
    await proxy.close()
    await Promise.all([publicUp.close(), privateUp.close()])
  })

  // Pinned choice: routed and forwarded as the normalised path (what routing saw is what the
  // upstream gets), never handed to the /public upstream to resolve on its own.
  const ROUTED: [path: string, upstream: 'public' | 'private', forwarded: string][] = [
    ['/public/../private', 'private', '/private'],
    ['/public/%2e%2e/private/x?q=/../y', 'private', '/private/x?q=/../y'],
    ['/public/%2E%2e/private', 'private', '/private'],
    ['/public/./x/../../private/', 'private', '/private/'],
    ['//private', 'private', '/private'],
    ['/private/../public/a//b', 'public', '/public/a/b'],
  ]
  for (const [path, which, forwarded] of ROUTED) {
    test(`HTTP/1.1 ${path} → the ${which} upstream as ${forwarded}`, async () => {
      const before = { public: publicUp.seen.length, private: privateUp.seen.length }
      const { text } = await get(proxy, 'app.test', path)
      assert.equal(firstStatus(text), 200, text)
      assert.equal(bodyOf(text), `${which} ${forwarded}`)
      const other = which === 'public' ? privateUp : publicUp
      assert.equal(other.seen.length, before[which === 'public' ? 'private' : 'public'])
    })
  }

  const REFUSED = [
    '/../private',
    '/public/../../private',
    '/%2e%2e/private',
    '/public/..;/private',
    '/public/..%2fprivate',
    '/public/%2e%2e%2Fprivate',
    '/public/..%5cprivate',
    '/public/..\\private',
    '/public#/../private',
  ]
  for (const path of REFUSED) {
    test(`HTTP/1.1 ${path} → 400, no upstream reached`, async () => {
      const before = publicUp.seen.length + privateUp.seen.length
      const { text } = await get(proxy, 'app.test', path)
      assert.equal(firstStatus(text), 400, text)
      assert.equal(publicUp.seen.length + privateUp.seen.length, before)
    })
  }

  test('HTTP/2: :path is normalised the same way', async () => {
    const session = http2Connect(`https://127.0.0.1:${proxy.port}`, {
      ca: proxy.rootPem,
      servername: 'app.test',
    })
    try {
      const ask = (path: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const stream = session.request({ ':path': path, ':authority': 'app.test' })
          let status = 0
          let body = ''
          stream.on('response', (h) => (status = Number(h[':status'])))
          stream.setEncoding('utf8')
          stream.on('data', (d: string) => (body += d))
          stream.on('end', () => resolve({ status, body }))
          stream.on('error', reject)
        })
      assert.deepEqual(await ask('/public/%2E%2E/private'), {
        status: 200,
        body: 'private /private',
      })
      assert.equal((await ask('/%2e%2e/private')).status, 400)
      assert.equal((await ask('/public/..;/private')).status, 400)
    } finally {
      session.destroy()
    }
  })
})

describe('static route: nothing outside the folder, whatever the encoding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-paths-'))
  const root = join(dir, 'www')
  let proxy: ProxyFixture
  before(async () => {
    mkdirSync(join(root, 'sub'), { recursive: true })
    // A sibling whose name starts with the root's: a prefix check without a separator lets it out.
    mkdirSync(join(dir, 'www2'))
    writeFileSync(join(root, 'ok.txt'), 'inside')
    writeFileSync(join(root, 'sub', 'ok.txt'), 'inside-sub')
    writeFileSync(join(dir, 'secret.txt'), SECRET)
    writeFileSync(join(dir, 'www2', 'secret.txt'), SECRET)
    const files = (path: string): RouteOptions => ({
      kind: 'static',
      path,
      root,
      index: ['index.html'],
      maxBodyBytes: 1024,
      headersUp: NO_OPS,
      headersDown: NO_OPS,
    })
    // app.test serves the folder under /files; other.test at the root, so a normalised path that
    // leaves /files still lands on a static route.
    proxy = await startProxy([
      site(['app.test'], [files('/files')]),
      site(['other.test'], [files('/')]),
    ])
  })
  after(async () => {
    await proxy.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('files inside are served, dot-segments resolved', async () => {
    for (const [host, path, body] of [
      ['app.test', '/files/ok.txt', 'inside'],
      ['app.test', '/files/sub/../ok.txt', 'inside'],
      ['app.test', '/files/sub/%2e%2e/sub/ok.txt', 'inside-sub'],
      ['app.test', '/files/sub%2fok.txt', 'inside-sub'],
      ['other.test', '/sub/./ok.txt', 'inside-sub'],
    ] as const) {
      const { text } = await get(proxy, host, path)
      assert.equal(firstStatus(text), 200, `${host}${path}: ${text}`)
      assert.equal(bodyOf(text), body, `${host}${path}`)
    }
  })

  const ESCAPES = [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/sub/../../secret.txt',
    '/sub/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/sub%2f..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/%2e%2e%5csecret.txt',
    '/..;/secret.txt',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '/%c0%ae%c0%ae%c0%afsecret.txt',
    '/..%00/secret.txt',
    '/%2e%2e/www2/secret.txt',
    '/..%2fwww2%2fsecret.txt',
    '//../secret.txt',
    '/./../secret.txt',
  ]
  for (const [host, prefix] of [
    ['app.test', '/files'],
    ['other.test', ''],
  ] as const) {
    test(`${host}: ${ESCAPES.length} encodings of a way out of ${prefix || '/'} → 400 or 404`, async () => {
      for (const escape of ESCAPES) {
        const path = `${prefix}${escape}`
        const { text } = await get(proxy, host, path)
        const status = firstStatus(text)
        assert.ok(status === 400 || status === 404, `${host}${path}: ${status}`)
        assert.ok(!text.includes(SECRET), `${host}${path} served the secret`)
      }
    })
  }
})
