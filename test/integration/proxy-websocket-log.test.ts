/**
 * WebSocket handshakes in the access log and under a route's headersDown, through the gateway on a
 * real HttpsServer to a real `ws` upstream: HTTP/1.1 Upgrade (RFC 6455 §4) and HTTP/2 extended
 * CONNECT (RFC 8441). One line per handshake, written once the tunnel has closed.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { WebSocket } from 'ws'
import { h2Session, openH2WebSocket } from '../helpers/h2-websocket.js'
import {
  deadPort,
  firstStatus,
  proxyRoute,
  rawTls,
  site,
  startProxy,
  type ProxyFixture,
} from '../helpers/proxy-fixture.js'
import { startWsServer } from '../helpers/ws-server.js'
import type { RespondRoute, RouteOptions, SiteOptions } from '../../src/proxy/types.js'

const TEXT = 0x1
const CLOSE = 0x8
/** A set, a remove of an upstream field, and a remove the handshake must survive. */
const DOWN = { set: { 'x-tunnel': 'yes' }, remove: ['x-upstream', 'sec-websocket-accept'] }

/** An echo upstream that greets each client and adds `X-Upstream` to its 101. */
async function echoUpstream(
  t: TestContext,
): Promise<{ url: string; closes: Promise<number>[]; sockets: WebSocket[] }> {
  const { wss, port } = await startWsServer(t)
  const closes: Promise<number>[] = []
  const sockets: WebSocket[] = []
  wss.on('headers', (headers) => headers.push('X-Upstream: secret'))
  wss.on('connection', (ws) => {
    sockets.push(ws)
    closes.push(new Promise((resolve) => ws.on('close', (code) => resolve(code))))
    ws.send('welcome')
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  })
  return { url: `http://127.0.0.1:${port}`, closes, sockets }
}

/** An upstream refusing every upgrade with 403 (a Content-Length body) and an X-Upstream field. */
async function refusingUpstream(t: TestContext): Promise<string> {
  const server = createServer()
  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.end(
      'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nx-upstream: secret\r\n' +
        'content-length: 9\r\nconnection: close\r\n\r\nforbidden',
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function proxyWith(t: TestContext, sites: SiteOptions[]): Promise<ProxyFixture> {
  const proxy = await startProxy(sites)
  t.after(() => proxy.close())
  return proxy
}

function wsRoute(url: string, path = '/ws'): RouteOptions {
  return proxyRoute([url], { path, headersDown: DOWN })
}

function respondRoute(path: string): RespondRoute {
  const none = { set: {}, remove: [] }
  const base = { path, maxBodyBytes: 1024, headersUp: none, headersDown: none }
  return { ...base, kind: 'respond', status: 200, body: 'ok', contentType: 'text/plain' }
}

/** A `ws` client over HTTP/1.1 to app.test (or `host`) on the proxy; resolves once open. */
async function openWs(
  proxy: ProxyFixture,
  path: string,
  host = 'app.test',
): Promise<{
  ws: WebSocket
  headers: IncomingMessage['headers']
  /** The upstream's greeting, listened for from the start (it may come with the 101). */
  greeting: Promise<string>
  closed: Promise<void>
}> {
  const ws = new WebSocket(`wss://${host}:${proxy.port}${path}`, {
    ca: proxy.rootPem,
    lookup: ((_n: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
      o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
  })
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
  const greeting = nextMessage(ws)
  const headers = await new Promise<IncomingMessage['headers']>((resolve, reject) => {
    let got: IncomingMessage['headers'] = {}
    ws.once('upgrade', (res) => (got = res.headers))
    ws.once('open', () => resolve(got))
    ws.once('error', reject)
  })
  return { ws, headers, greeting, closed }
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) =>
    ws.once('message', (data) => resolve((data as Buffer).toString())),
  )
}

/** Waits until `log` holds `n` entries (fails after 5 s), then a little longer for any extra. */
async function entries(
  log: Record<string, unknown>[],
  n: number,
): Promise<Record<string, unknown>[]> {
  const until = performance.now() + 5_000
  while (log.length < n && performance.now() < until) await sleep(20)
  await sleep(100)
  return log
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

test('HTTP/1.1: one line after the tunnel closes (101, GET, path, upstream, duration, bytes); headersDown on the 101', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await proxyWith(t, [site(['app.test'], [wsRoute(up.url)])])
  const { ws, headers, greeting, closed } = await openWs(proxy, '/ws/room?x=1')
  const opened = performance.now()
  assert.equal(headers['x-tunnel'], 'yes', 'a set reaches the 101')
  assert.equal(headers['x-upstream'], undefined, 'a remove applies to the 101')
  assert.ok(headers['sec-websocket-accept'], 'a remove of a handshake field is ignored')
  assert.equal(await greeting, 'welcome')
  const echoed = nextMessage(ws)
  ws.send('hello')
  assert.equal(await echoed, 'hello')
  await sleep(150)
  assert.equal(proxy.log.length, 0, 'nothing is written while the tunnel is open')
  ws.close(1000)
  await closed
  const openMs = performance.now() - opened
  await up.closes[0]

  const [entry, ...more] = await entries(proxy.log, 1)
  assert.equal(more.length, 0, 'one line per handshake')
  assert.equal(entry?.status, 101)
  assert.equal(entry?.method, 'GET')
  assert.equal(entry?.host, 'app.test')
  assert.equal(entry?.path, '/ws/room?x=1')
  assert.equal(entry?.upstream, up.url)
  assert.equal(entry?.proto, '1.1')
  assert.equal(entry?.remote, '127.0.0.1')
  assert.ok(
    Number(entry?.duration_ms) >= openMs - 1,
    `${String(entry?.duration_ms)} ms < ${openMs}`,
  )
  // Frames to the client: 'welcome' and 'hello' (2-byte heads), then the upstream's close frame.
  assert.ok(Number(entry?.bytes) >= 9 + 7 + 4, `bytes ${String(entry?.bytes)}`)
})

test('HTTP/2 extended CONNECT: one line after the stream closes (200, CONNECT, proto 2); headersDown on the 200', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await proxyWith(t, [site(['app.test'], [wsRoute(up.url)])])
  const { session } = await h2Session(proxy.port, 'app.test', proxy.rootPem)
  t.after(() => session.destroy())
  const ws = await openH2WebSocket(session, `app.test:${proxy.port}`, '/ws/h2?y=2')
  const opened = performance.now()
  assert.equal(ws.status, 200, 'the accept was checked against our key despite the remove')
  assert.equal(ws.headers['x-tunnel'], 'yes')
  assert.equal(ws.headers['x-upstream'], undefined)
  assert.equal((await ws.next()).payload.toString(), 'welcome')
  ws.send(TEXT, 'over h2')
  assert.equal((await ws.next()).payload.toString(), 'over h2')
  await sleep(150)
  assert.equal(proxy.log.length, 0)
  ws.send(CLOSE, Buffer.from([0x03, 0xe8]))
  assert.equal((await ws.next()).opcode, CLOSE)
  ws.stream.end()
  await ws.closed
  const openMs = performance.now() - opened

  const [entry, ...more] = await entries(proxy.log, 1)
  assert.equal(more.length, 0)
  assert.equal(entry?.status, 200)
  assert.equal(entry?.method, 'CONNECT')
  assert.equal(entry?.path, '/ws/h2?y=2')
  assert.equal(entry?.upstream, up.url)
  assert.equal(entry?.proto, '2')
  assert.ok(Number(entry?.duration_ms) >= openMs - 1)
  assert.ok(Number(entry?.bytes) >= 9 + 9 + 4, `bytes ${String(entry?.bytes)}`)
})

test('refusals: a relayed 403 gets headersDown and a line with its status and body bytes; 502, 404 and 421 are logged for known sites', async (t) => {
  const refusing = await refusingUpstream(t)
  const dead = `http://127.0.0.1:${await deadPort()}`
  const proxy = await proxyWith(t, [
    site(['app.test'], [wsRoute(refusing, '/no'), wsRoute(dead, '/down'), respondRoute('/plain')]),
    site(['other.test'], [wsRoute(refusing)]),
  ])
  const handshake = (path: string): string =>
    `GET ${path} HTTP/1.1\r\nHost: app.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
  const h1 = await rawTls(proxy.port, 'app.test', handshake('/no'), proxy.rootPem)
  assert.equal(firstStatus(h1.text), 403)
  assert.match(h1.text, /\r\nx-tunnel: yes\r\n/)
  assert.doesNotMatch(h1.text, /x-upstream/i)
  assert.match(h1.text, /\r\n\r\nforbidden$/)

  const { session } = await h2Session(proxy.port, 'app.test', proxy.rootPem)
  t.after(() => session.destroy())
  const authority = `app.test:${proxy.port}`
  const h2 = await openH2WebSocket(session, authority, '/no')
  assert.equal(h2.status, 403)
  assert.equal(h2.headers['x-tunnel'], 'yes')
  assert.equal(h2.headers['x-upstream'], undefined)
  assert.equal(await h2.body(), 'forbidden')
  const down = await openH2WebSocket(session, authority, '/down')
  assert.equal(down.status, 502)
  await down.closed
  const none = await openH2WebSocket(session, authority, '/plain')
  assert.equal(none.status, 404)
  await none.closed
  const misdirected = await openH2WebSocket(session, `other.test:${proxy.port}`, '/ws')
  assert.equal(misdirected.status, 421)
  await misdirected.closed
  const unknown = await openH2WebSocket(session, `nobody.test:${proxy.port}`, '/ws')
  assert.equal(unknown.status, 421)
  await unknown.closed

  const log = await entries(proxy.log, 5)
  const seen = log.map(
    (e) => `${String(e.proto)} ${String(e.status)} ${String(e.host)}${String(e.path)}`,
  )
  assert.deepEqual(seen.sort(), [
    '1.1 403 app.test/no',
    '2 403 app.test/no',
    '2 404 app.test/plain',
    '2 421 other.test/ws',
    '2 502 app.test/down',
  ])
  const byKey = (proto: string, status: number) =>
    log.find((e) => e.proto === proto && e.status === status) ?? {}
  assert.equal(byKey('1.1', 403).bytes, 9, 'the relayed body')
  assert.equal(byKey('1.1', 403).upstream, refusing)
  assert.equal(byKey('2', 403).bytes, 9)
  assert.equal(byKey('2', 502).upstream, dead)
  assert.ok(Number(byKey('2', 502).bytes) > 0)
  assert.equal(byKey('2', 404).upstream, undefined)
  assert.equal(byKey('2', 421).method, 'CONNECT')
})

test('no line for a site with accessLog off, while a logging site beside it gets its own', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await proxyWith(t, [
    site(['app.test'], [wsRoute(up.url)], false),
    site(['other.test'], [wsRoute(up.url)]),
  ])
  const quiet = await openWs(proxy, '/ws')
  const logged = await openWs(proxy, '/ws', 'other.test')
  await quiet.greeting
  quiet.ws.close(1000)
  logged.ws.close(1000)
  await Promise.all([quiet.closed, logged.closed, ...up.closes])
  const { session } = await h2Session(proxy.port, 'app.test', proxy.rootPem)
  t.after(() => session.destroy())
  const refused = await openH2WebSocket(session, `app.test:${proxy.port}`, '/elsewhere')
  assert.equal(refused.status, 404)
  await refused.closed

  const log = await entries(proxy.log, 1)
  assert.deepEqual(
    log.map((e) => e.host),
    ['other.test'],
  )
})

test('one line each when the upstream drops, when a reload closes the route (1001) and on shutdown', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await startProxy([site(['app.test'], [wsRoute(up.url)])])
  let stopped = false
  t.after(() => (stopped ? undefined : proxy.close()))
  const dropped = await openWs(proxy, '/ws/dropped')
  await dropped.greeting
  up.sockets[0]?.terminate()
  await dropped.closed
  assert.deepEqual(paths(await entries(proxy.log, 1)), ['101 /ws/dropped'])

  const reloaded = await openWs(proxy, '/ws/reloaded')
  await reloaded.greeting
  const code = new Promise((resolve) => reloaded.ws.once('close', (c) => resolve(c)))
  proxy.gateway.update([site(['app.test'], [wsRoute(up.url, '/other')])])
  assert.equal(await code, 1001)
  assert.deepEqual(paths(await entries(proxy.log, 2)), ['101 /ws/dropped', '101 /ws/reloaded'])

  const last = await openWs(proxy, '/other/x')
  await last.greeting
  stopped = true
  await proxy.close()
  await last.closed
  assert.deepEqual(paths(await entries(proxy.log, 3)), [
    '101 /ws/dropped',
    '101 /ws/reloaded',
    '101 /other/x',
  ])
})

function paths(log: Record<string, unknown>[]): string[] {
  return log.map((e) => `${String(e.status)} ${String(e.path)}`)
}
