import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, createServer as createNetServer, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import type { TLSSocket } from 'node:tls'
import {
  closedPort,
  listen,
  proxyRoute,
  stop,
  testCertificate,
  type TestCertificate,
} from './upstream-fixtures.test.helper.js'
import { isConnectFailure, UpstreamGroup, type Upstream } from './upstream-group.js'
import type { ProxyRoute } from './types.js'

function only(t: TestContext, url: string, overrides: Partial<ProxyRoute> = {}): Upstream {
  const g = new UpstreamGroup(proxyRoute({ upstreams: [{ url }], ...overrides }))
  t.after(() => g.close())
  return g.upstreams[0] as Upstream
}

async function get(upstream: Upstream, headers: Record<string, string> = {}): Promise<string> {
  const res = await upstream.dispatcher.request({
    origin: upstream.url.origin,
    path: '/',
    method: 'GET',
    headers,
  })
  return res.body.text()
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  assert.fail('expected the request to fail')
}

interface TlsUpstream {
  port: number
  /** SNI names seen by the server, one per TLS connection. */
  sni: Array<string | false | null>
}

async function httpsUpstream(t: TestContext, cert: TestCertificate): Promise<TlsUpstream> {
  const sni: Array<string | false | null> = []
  const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (_req, res) =>
    res.end('secure'),
  )
  server.on('secureConnection', (s: TLSSocket) => sni.push(s.servername))
  const port = await listen(server)
  t.after(() => stop(server))
  return { port, sni }
}

test('https upstream: verified against caFile, refused with the wrong CA, accepted with verify=false', async (t) => {
  const cert = await testCertificate(['localhost', '127.0.0.1'])
  const other = await testCertificate(['localhost', '127.0.0.1'])
  t.after(() => cert.remove())
  t.after(() => other.remove())
  const up = await httpsUpstream(t, cert)
  const url = `https://127.0.0.1:${up.port}`

  assert.equal(
    await get(only(t, url, { upstreamTls: { caFile: cert.caFile, verify: true } })),
    'secure',
  )

  const wrongCa = only(t, url, { upstreamTls: { caFile: other.caFile, verify: true } })
  const refused = await failure(get(wrongCa))
  assert.ok(isConnectFailure(refused), String(refused))
  assert.match(String((refused as Error).message), /self.signed|verify|certificate/i)

  // The system roots do not know a self-signed certificate.
  assert.ok(isConnectFailure(await failure(get(only(t, url)))))

  assert.equal(await get(only(t, url, { upstreamTls: { verify: false } })), 'secure')
})

test('https upstream: SNI is the configured servername whatever the Host header, on one connection', async (t) => {
  const cert = await testCertificate(['upstream.test'])
  t.after(() => cert.remove())
  const up = await httpsUpstream(t, cert)
  const upstream = only(t, `https://127.0.0.1:${up.port}`, {
    upstreamTls: { caFile: cert.caFile, verify: true, servername: 'upstream.test' },
  })
  // undici would reconnect whenever the SNI it derives from Host changes; alternating client host
  // names must keep using the kept-alive connection.
  for (let i = 0; i < 10; i++) {
    assert.equal(await get(upstream, { host: `client-${i % 2}.example` }), 'secure')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.equal(await get(upstream), 'secure')
  assert.ok(up.sni.length <= 2, `${up.sni.length} connections for 11 sequential requests`)
  assert.ok(
    up.sni.every((name) => name === 'upstream.test'),
    String(up.sni),
  )
})

test('https upstream by IP without servername: no SNI, the certificate checked against the IP', async (t) => {
  const cert = await testCertificate(['127.0.0.1'])
  t.after(() => cert.remove())
  const up = await httpsUpstream(t, cert)
  const upstream = only(t, `https://127.0.0.1:${up.port}`, {
    upstreamTls: { caFile: cert.caFile, verify: true },
  })
  assert.equal(await get(upstream, { host: 'app.example' }), 'secure')
  assert.deepEqual(up.sni, [false])
})

test('a CA file that cannot be read or holds no certificate stops the route with ERR_CONFIG', async (t) => {
  const cert = await testCertificate(['localhost'])
  t.after(() => cert.remove())
  const route = (caFile: string): ProxyRoute =>
    proxyRoute({
      upstreams: [{ url: 'https://127.0.0.1:1' }],
      upstreamTls: { caFile, verify: true },
    })
  assert.throws(() => new UpstreamGroup(route(`${cert.caFile}.missing`)), {
    code: 'ERR_CONFIG',
    message: /ca\.pem\.missing of upstream 127\.0\.0\.1:1 cannot be read \(ENOENT\)/,
  })
  writeFileSync(cert.caFile, 'not a certificate\n')
  assert.throws(() => new UpstreamGroup(route(cert.caFile)), {
    code: 'ERR_CONFIG',
    message: /holds no PEM certificate/,
  })
  // An http upstream never reads it.
  const g = new UpstreamGroup(proxyRoute({ upstreamTls: { caFile: '/nonexistent', verify: true } }))
  await g.close()
})

test('isConnectFailure: refused connection and connect timeout are; a reset after the request is not', async (t) => {
  const refusedPort = await closedPort()
  const refused = await failure(get(only(t, `http://127.0.0.1:${refusedPort}`)))
  assert.equal((refused as { code?: string }).code, 'ECONNREFUSED')
  assert.ok(isConnectFailure(refused))

  // Accepts TCP but never answers the TLS handshake: the connect timeout covers the handshake.
  const silent = createNetServer((s: Socket) => s.resume())
  const silentPort = await listen(silent)
  t.after(() => stop(silent))
  const timedOut = await failure(
    get(only(t, `https://127.0.0.1:${silentPort}`, { connectTimeoutMs: 200 })),
  )
  assert.equal((timedOut as { code?: string }).code, 'UND_ERR_CONNECT_TIMEOUT')
  assert.ok(isConnectFailure(timedOut))

  // Resets the connection during the TLS handshake: nothing was sent yet.
  const resetting = createNetServer((s: Socket) => s.resetAndDestroy())
  const resettingPort = await listen(resetting)
  t.after(() => stop(resetting))
  const handshakeReset = await failure(
    get(only(t, `https://127.0.0.1:${resettingPort}`, { upstreamTls: { verify: false } })),
  )
  assert.ok(isConnectFailure(handshakeReset), String(handshakeReset))

  // Reads the request, then drops the connection: the request may have been acted on.
  const dropping = createHttpServer((req) => req.socket.destroy())
  const droppingPort = await listen(dropping)
  t.after(() => stop(dropping))
  const dropped = await failure(get(only(t, `http://127.0.0.1:${droppingPort}`)))
  assert.equal(isConnectFailure(dropped), false, String(dropped))

  // Same for a reset after the request was written.
  const resetAfter = createHttpServer((req) => req.socket.resetAndDestroy())
  const resetAfterPort = await listen(resetAfter)
  t.after(() => stop(resetAfter))
  const reset = await failure(get(only(t, `http://127.0.0.1:${resetAfterPort}`)))
  assert.equal(isConnectFailure(reset), false, String(reset))
})

test('isConnectFailure reads codes and cause chains, and nothing else', () => {
  const table: Array<[unknown, boolean]> = [
    [undefined, false],
    ['ECONNREFUSED', false],
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), true],
    [Object.assign(new Error('x'), { code: 'ENOTFOUND' }), true],
    [Object.assign(new Error('x'), { code: 'ECONNRESET' }), false],
    [Object.assign(new Error('x'), { code: 'EPIPE' }), false],
    [Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }), false],
    [Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), false],
    [
      new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
      true,
    ],
  ]
  for (const [err, want] of table) assert.equal(isConnectFailure(err), want, String(err))
})

/**
 * A port whose TCP connects hang, as behind a firewall that drops SYNs: a child process listens
 * with a backlog of 1 and then blocks its event loop, so it never accepts; once a few connections
 * fill its accept queue, the kernel drops further SYNs. Loopback only, no privileges needed.
 */
async function blackhole(t: TestContext): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        process.stdout.write(s.address().port + '\\n')
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
      })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.after(() => child.kill('SIGKILL'))
  const port = Number(
    await new Promise<string>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(String(d))),
    ),
  )
  for (let i = 0; i < 4; i++) {
    const filler = connect(port, '127.0.0.1')
    filler.on('error', () => {})
    t.after(() => filler.destroy())
  }
  // Bounded wait until a new connect no longer completes.
  for (let i = 0; i < 50; i++) {
    const probe = connect(port, '127.0.0.1')
    probe.on('error', () => {})
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 200)
      probe.once('connect', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    probe.destroy()
    if (!connected) return port
  }
  throw new Error(`port ${port} kept accepting connections`)
}

test('connect timeout fires on time (native timer; undici alone fired ~1 s late for 100-500 ms)', async (t) => {
  const port = await blackhole(t)
  for (const ms of [100, 250]) {
    const started = performance.now()
    const err = await failure(get(only(t, `http://127.0.0.1:${port}`, { connectTimeoutMs: ms })))
    const elapsed = performance.now() - started
    assert.equal((err as { code?: string }).code, 'UND_ERR_CONNECT_TIMEOUT', String(err))
    assert.match(
      String((err as Error).message),
      new RegExp(`127\\.0\\.0\\.1:${port}, timeout: ${ms}ms`),
    )
    assert.ok(isConnectFailure(err))
    // undici's own timer needs two ticks of its ~0.5 s wheel: never before ~500 ms (at ~1 000 ms
    // when its wheel is idle). 350 ms of slack for a loaded machine still tells the two apart.
    assert.ok(
      elapsed >= ms - 5 && elapsed < ms + 350,
      `${ms} ms timeout fired after ${Math.round(elapsed)} ms`,
    )
  }
})
