/**
 * WebSockets over HTTP/2 (RFC 8441) through the gateway on a real HttpsServer: the server advertises
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, an extended CONNECT is routed like an HTTP/1.1 Upgrade and
 * forwarded to a real `ws` upstream as one, and the stream carries the frames.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import type { WebSocket } from 'ws'
import { closeCode, h2Session, openH2WebSocket } from '../helpers/h2-websocket.js'
import {
  proxyRoute,
  site,
  startProxy,
  startRawUpstream,
  type ProxyFixture,
} from '../helpers/proxy-fixture.js'
import { startWsServer } from '../helpers/ws-server.js'

const TEXT = 0x1
const CLOSE = 0x8

/** A `ws` echo upstream that greets each client; records requests and each connection's close. */
async function wsUpstream(t: TestContext): Promise<{
  port: number
  requests: IncomingMessage[]
  sockets: WebSocket[]
  closes: Array<Promise<{ code: number; reason: string }>>
}> {
  const { wss, port } = await startWsServer(t, {
    handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
  })
  const requests: IncomingMessage[] = []
  const sockets: WebSocket[] = []
  const closes: Array<Promise<{ code: number; reason: string }>> = []
  wss.on('connection', (ws, req) => {
    requests.push(req)
    sockets.push(ws)
    closes.push(
      new Promise((resolve) =>
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      ),
    )
    ws.send('welcome')
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  })
  return { port, requests, sockets, closes }
}

async function proxyTo(t: TestContext, upstreamUrl: string): Promise<ProxyFixture> {
  const proxy = await startProxy([site(['app.test'], [proxyRoute([upstreamUrl], { path: '/ws' })])])
  t.after(() => proxy.close())
  return proxy
}

async function session(t: TestContext, proxy: ProxyFixture, servername = 'app.test') {
  const s = await h2Session(proxy.port, servername, proxy.rootPem)
  t.after(() => s.session.destroy())
  return s
}

test('extended CONNECT: SETTINGS advertise it, 200 with the chosen subprotocol, frames echo both ways, the upstream sees an HTTP/1.1 handshake with forwarding headers and our key', async (t) => {
  const up = await wsUpstream(t)
  const proxy = await proxyTo(t, `http://127.0.0.1:${up.port}`)
  const { session: s, enableConnectProtocol } = await session(t, proxy)
  assert.equal(enableConnectProtocol, true, 'SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)')
  const ws = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws/room?x=1', {
    'sec-websocket-protocol': 'chat, superchat',
  })
  assert.equal(ws.status, 200)
  assert.equal(ws.headers['sec-websocket-protocol'], 'chat')
  assert.equal(ws.headers['sec-websocket-accept'], undefined, 'an HTTP/1.1 proof, not for h2')
  const greeting = await ws.next()
  assert.deepEqual([greeting.opcode, greeting.payload.toString()], [TEXT, 'welcome'])
  ws.send(TEXT, 'hello over h2')
  const echo = await ws.next()
  assert.deepEqual([echo.opcode, echo.payload.toString()], [TEXT, 'hello over h2'])
  const big = 'x'.repeat(40_000)
  ws.send(TEXT, big)
  assert.equal((await ws.next()).payload.toString(), big)

  const req = up.requests[0] as IncomingMessage
  assert.equal(req.method, 'GET')
  assert.equal(req.url, '/ws/room?x=1')
  assert.equal(req.httpVersion, '1.1')
  assert.equal(req.headers.upgrade, 'websocket')
  assert.match(req.headers.connection ?? '', /upgrade/i)
  assert.equal(req.headers['sec-websocket-version'], '13')
  const key = req.headers['sec-websocket-key'] ?? ''
  assert.equal(Buffer.from(key, 'base64').length, 16, `key ${key}`)
  assert.equal(req.headers.host, `app.test:${proxy.port}`)
  assert.equal(req.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(req.headers['x-forwarded-proto'], 'https')
  assert.equal(req.headers['x-forwarded-host'], `app.test:${proxy.port}`)
  assert.equal(req.headers.via, '2 gatehouse')
})

test('each stream gets a key of its own', async (t) => {
  const up = await wsUpstream(t)
  const proxy = await proxyTo(t, `http://127.0.0.1:${up.port}`)
  const { session: s } = await session(t, proxy)
  const a = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  const b = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  assert.deepEqual([a.status, b.status], [200, 200])
  const keys = up.requests.map((r) => r.headers['sec-websocket-key'])
  assert.equal(keys.length, 2)
  assert.notEqual(keys[0], keys[1])
})

test('an upstream refusing the handshake: its status and (de-chunked) body reach the client, not 200', async (t) => {
  const server = createServer()
  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.end(
      'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n' +
        'connection: close\r\n\r\n4\r\nforb\r\n5\r\nidden\r\n0\r\n\r\n',
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  const proxy = await proxyTo(t, `http://127.0.0.1:${port}`)
  const { session: s } = await session(t, proxy)
  const ws = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  assert.equal(ws.status, 403)
  assert.equal(ws.headers['content-type'], 'text/plain')
  assert.equal(await ws.body(), 'forbidden')
})

test('a 101 whose Sec-WebSocket-Accept does not match our key gives 502', async (t) => {
  const raw = await startRawUpstream(
    'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n' +
      'sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
  )
  t.after(() => raw.close())
  const proxy = await proxyTo(t, raw.url)
  const { session: s } = await session(t, proxy)
  const ws = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  assert.equal(ws.status, 502)
  assert.match(await ws.body(), /Sec-WebSocket-Accept that does not match/)
})

test('CONNECT for another :protocol, and plain CONNECT, get 501; a host other than the SNI name 421', async (t) => {
  const up = await wsUpstream(t)
  const proxy = await proxyTo(t, `http://127.0.0.1:${up.port}`)
  const { session: s } = await session(t, proxy)
  const other = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws', {
    ':protocol': 'connect-udp',
  })
  assert.equal(other.status, 501)
  const plain = s.request({ ':method': 'CONNECT', ':authority': `app.test:${proxy.port}` })
  plain.on('error', () => {})
  const status = await new Promise((resolve) =>
    plain.once('response', (h) => resolve(h[':status'])),
  )
  assert.equal(status, 501)
  plain.close()
  const misdirected = await openH2WebSocket(s, `other.test:${proxy.port}`, '/ws')
  assert.equal(misdirected.status, 421)
  const noRoute = await openH2WebSocket(s, `app.test:${proxy.port}`, '/elsewhere')
  assert.equal(noRoute.status, 404)
  assert.equal(up.requests.length, 0, 'nothing reached the upstream')
})

test('the client closing: the upstream gets its close frame, and the stream ends', async (t) => {
  const up = await wsUpstream(t)
  const proxy = await proxyTo(t, `http://127.0.0.1:${up.port}`)
  const { session: s } = await session(t, proxy)
  const ws = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  await ws.next()
  const payload = Buffer.alloc(2)
  payload.writeUInt16BE(1000)
  ws.send(CLOSE, Buffer.concat([payload, Buffer.from('bye')]))
  // The upstream answers with its close frame and its FIN (RFC 6455 §7.1.1), which ends the stream;
  // the client then ends its side, and the upstream's TCP connection closes.
  assert.deepEqual(closeCode(await ws.next()), { code: 1000, reason: 'bye' })
  ws.stream.end()
  assert.deepEqual(await up.closes[0], { code: 1000, reason: 'bye' })
  await ws.closed
})

test('the upstream closing: the client gets the close frame and the stream ends', async (t) => {
  const up = await wsUpstream(t)
  const proxy = await proxyTo(t, `http://127.0.0.1:${up.port}`)
  const { session: s } = await session(t, proxy)
  const ws = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  await ws.next()
  up.sockets[0]?.close(4000, 'done')
  assert.deepEqual(closeCode(await ws.next()), { code: 4000, reason: 'done' })
  ws.stream.end()
  await ws.closed
})

test('a reload that keeps the route keeps the stream open; closeTunnels (drain) sends 1001 both ways', async (t) => {
  const up = await wsUpstream(t)
  const route = proxyRoute([`http://127.0.0.1:${up.port}`], { path: '/ws' })
  const proxy = await startProxy([site(['app.test'], [route])])
  t.after(() => proxy.close())
  const { session: s } = await session(t, proxy)
  const ws = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  await ws.next()
  proxy.gateway.update([site(['app.test'], [{ ...route }])])
  ws.send(TEXT, 'still here')
  assert.equal((await ws.next()).payload.toString(), 'still here')

  const closing = proxy.gateway.closeTunnels?.()
  const frame = await ws.next()
  assert.equal(frame.opcode, CLOSE)
  assert.deepEqual(closeCode(frame), { code: 1001, reason: 'going away' })
  assert.deepEqual(await up.closes[0], { code: 1001, reason: 'going away' })
  ws.stream.end()
  await closing
  await ws.closed
})

test("the client resetting its stream drops the upstream connection; the route's idle timeout closes a silent tunnel", async (t) => {
  const up = await wsUpstream(t)
  const route = proxyRoute([`http://127.0.0.1:${up.port}`], {
    path: '/ws',
    websocketIdleTimeoutMs: 300,
  })
  const proxy = await startProxy([site(['app.test'], [route])])
  t.after(() => proxy.close())
  const { session: s } = await session(t, proxy)
  const reset = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  await reset.next()
  reset.stream.close(0x8 /* CANCEL */)
  // No close frame reached the upstream: its connection was dropped (RFC 6455 §7.1.5: 1006).
  assert.equal((await up.closes[0])?.code, 1006)

  const idle = await openH2WebSocket(s, `app.test:${proxy.port}`, '/ws')
  await idle.next()
  const started = performance.now()
  await idle.closed
  assert.equal((await up.closes[1])?.code, 1006)
  const elapsed = performance.now() - started
  assert.ok(elapsed >= 250 && elapsed < 5_000, `closed after ${Math.round(elapsed)} ms idle`)
  assert.equal(s.destroyed, false, 'the HTTP/2 connection itself stays open')
})
