import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { curl } from '../helpers/curl.js'
import {
  deadPort,
  firstStatus,
  proxyRoute,
  rawTls,
  site,
  startProxy,
  startUpstream,
  type ProxyFixture,
  type Upstream,
} from '../helpers/proxy-fixture.js'

/** `-w` output: status, then the body. */
async function statusAndBody(args: string[]): Promise<{ status: number; body: string }> {
  const r = await curl(['-w', '\n%{http_code}', ...args])
  const lines = r.stdout.split('\n')
  return { status: Number(lines.pop()), body: lines.join('\n') }
}

/** curl with `file` on its stdin; resolves with stdout whatever the exit code. */
function curlStdin(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('curl', ['-s', '--max-time', '20', ...args], (_err, stdout) =>
      resolve(stdout),
    )
    if (child.stdin)
      createReadStream(file)
        .pipe(child.stdin)
        .on('error', () => {})
  })
}

describe('proxy: limits and upstream failures', () => {
  let upstream: Upstream
  let silent: Upstream
  let proxy: ProxyFixture
  let dead: number
  before(async () => {
    upstream = await startUpstream()
    // Reads the request, never answers.
    silent = await startUpstream(() => {})
    dead = await deadPort()
    proxy = await startProxy(
      [
        site(
          ['app.test'],
          [
            proxyRoute([upstream.url], { path: '/small', maxBodyBytes: 1000 }),
            proxyRoute([`http://127.0.0.1:${dead}`], { path: '/dead', retries: 0 }),
            proxyRoute([`http://127.0.0.1:${dead}`, upstream.url], {
              path: '/retry',
              retries: 1,
              // Passive ejection off: round robin must keep reaching the dead upstream, so the
              // POST test sees a 502 that was not retried (ejection would hide it).
              passiveHealth: { maxFails: 0, failWindowMs: 10_000, ejectMs: 30_000 },
            }),
            proxyRoute([silent.url], { path: '/slow', responseTimeoutMs: 300 }),
            proxyRoute([upstream.url]),
          ],
        ),
        site(['other.test'], [proxyRoute([upstream.url])]),
      ],
      { limits: { maxUrlBytes: 1024, maxHeaderCount: 20, maxHeaderBytes: 4096 } },
    )
  })
  after(async () => {
    await proxy?.close()
    await upstream?.close()
    await silent?.close()
  })

  for (const version of ['--http1.1', '--http2']) {
    test(`${version}: body over the route limit with Content-Length → 413, upstream not contacted`, async () => {
      const before = upstream.seen.length
      const r = await statusAndBody([
        version,
        '--data-binary',
        'x'.repeat(1001),
        ...proxy.curlArgs('app.test', '/small'),
      ])
      assert.equal(r.status, 413)
      assert.match(r.body, /larger than 1000 bytes/)
      assert.equal(upstream.seen.length, before)
    })

    test(`${version}: connection refused → 502 naming the upstream`, async () => {
      const r = await statusAndBody([version, ...proxy.curlArgs('app.test', '/dead')])
      assert.equal(r.status, 502)
      assert.equal(r.body, `upstream 127.0.0.1:${dead} refused the connection\n`)
    })

    test(`${version}: no answer within responseTimeoutMs → 504`, async () => {
      const started = Date.now()
      const r = await statusAndBody([version, ...proxy.curlArgs('app.test', '/slow')])
      assert.equal(r.status, 504)
      assert.equal(r.body, `upstream 127.0.0.1:${silent.port} did not answer within 300 ms\n`)
      assert.ok(Date.now() - started < 5000)
    })

    test(`${version}: request-target over maxUrlBytes → 414`, async () => {
      const r = await statusAndBody([
        version,
        ...proxy.curlArgs('app.test', `/${'a'.repeat(1100)}`),
      ])
      assert.equal(r.status, 414)
    })

    test(`${version}: more header fields than maxHeaderCount → 431`, async () => {
      const headers = Array.from({ length: 25 }, (_, i) => ['-H', `x-h${i}: ${i}`]).flat()
      const r = await statusAndBody([version, ...headers, ...proxy.curlArgs('app.test', '/')])
      assert.equal(r.status, 431)
    })

    test(`${version}: header fields larger than maxHeaderBytes → 431`, async () => {
      const r = await statusAndBody([
        version,
        '-H',
        `x-big: ${'b'.repeat(5000)}`,
        ...proxy.curlArgs('app.test', '/'),
      ])
      assert.equal(r.status, 431)
    })

    test(`${version}: Host other than the SNI name → 421`, async () => {
      const r = await statusAndBody([
        version,
        '-H',
        `Host: other.test:${proxy.port}`,
        ...proxy.curlArgs('app.test', '/'),
      ])
      assert.equal(r.status, 421)
    })
  }

  for (const version of ['--http1.1', '--http2']) {
    test(`${version}: a body of unknown length over the limit → 413 once counted`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-413-'))
      const file = join(dir, 'body')
      writeFileSync(file, Buffer.alloc(2_000_000, 1))
      try {
        const before = upstream.seen.length
        // `-T -` streams from stdin: no Content-Length, chunked on HTTP/1.1.
        const r = await curlStdin(file, [
          '-w',
          '\n%{http_code}',
          version,
          '-X',
          'POST',
          '-T',
          '-',
          ...proxy.curlArgs('app.test', '/small'),
        ])
        assert.equal(r.split('\n').pop(), '413')
        assert.equal(upstream.seen.length, before, 'the upstream never got a complete request')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }

  test('a GET is retried on another upstream when the first refuses', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await statusAndBody(['--http1.1', ...proxy.curlArgs('app.test', '/retry')])
      assert.equal(r.status, 200)
      assert.equal(r.body, 'GET /retry 0')
    }
  })

  test('a POST is not retried', async () => {
    const statuses = new Set<number>()
    for (let i = 0; i < 4; i++) {
      const r = await statusAndBody([
        '--http1.1',
        '--data-binary',
        'x',
        ...proxy.curlArgs('app.test', '/retry'),
      ])
      statuses.add(r.status)
    }
    assert.deepEqual([...statuses].sort(), [200, 502])
  })

  test('a host no site answers → 404', async () => {
    const r = await rawTls(
      proxy.port,
      'app.test',
      'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n',
      proxy.rootPem,
      500,
    )
    assert.equal(firstStatus(r.text), 200)
    const none = await statusAndBody([
      '--http1.1',
      '--resolve',
      `nothing.wild.test:${proxy.port}:127.0.0.1`,
      '--cacert',
      proxy.rootFile,
      `https://nothing.wild.test:${proxy.port}/`,
    ])
    assert.equal(none.status, 404)
  })
})
