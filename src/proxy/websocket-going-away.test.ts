/**
 * A tunnel closed as a server going away (drain, reload of a changed route): both sides get a 1001
 * close frame after the frame they are receiving, then FIN, within GOING_AWAY_MS.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import { connect, createServer as createNetServer, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import {
  eventually,
  listen,
  proxyRoute,
  proxyWebSocket,
  stop,
} from './upstream-fixtures.test.helper.js'
import { UpstreamGroup, type Upstream } from './upstream-group.js'
import type { TunnelHandle } from './tunnel-target.js'
import { GOING_AWAY_MS } from './websocket-going-away.js'

const OPTIONS = {
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 2_000,
  idleTimeoutMs: 60_000,
  upstreamTls: { verify: true },
}

/** A plain HTTP server tunnelling every upgrade to `upstream`; the handles in the order opened. */
async function tunnelProxy(
  t: TestContext,
  url: string,
): Promise<{ port: number; handles: TunnelHandle[] }> {
  const group = new UpstreamGroup(proxyRoute({ upstreams: [{ url }] }))
  t.after(() => group.close())
  const upstream = group.upstreams[0] as Upstream
  const handles: TunnelHandle[] = []
  const server = createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers[name] = value
    const target = { upstream, path: req.url ?? '/', headers }
    handles.push(proxyWebSocket(req, socket, head, target, OPTIONS))
  })
  const port = await listen(server)
  t.after(() => stop(server))
  return { port, handles }
}

/** A frame of `length` bytes of `fill` (RFC 6455 §5.2), masked with a fixed key when `masked`. */
function frame(length: number, fill: number, masked: boolean): Buffer {
  const head = Buffer.from([0x82, (masked ? 0x80 : 0) | 126, 0, 0])
  head.writeUInt16BE(length, 2)
  const key = Buffer.from([1, 2, 3, 4])
  const payload = Buffer.alloc(length, fill)
  if (masked) for (let i = 0; i < length; i++) payload[i] = (fill ^ key[i % 4]!) & 0xff
  return Buffer.concat([head, masked ? key : Buffer.alloc(0), payload])
}

/** The close code of a close frame at `buf[0]`, unmasking it if needed; undefined if it is not one. */
function closeCode(buf: Buffer): number | undefined {
  if (buf.length < 4 || buf[0] !== 0x88) return undefined
  const masked = (buf[1] as number) & 0x80
  if (!masked) return buf.readUInt16BE(2)
  const key = buf.subarray(2, 6)
  return (((buf[6] as number) ^ key[0]!) << 8) | ((buf[7] as number) ^ key[1]!)
}

test('close(): real WebSocket peers both see 1001 going away, then the tunnel settles', async (t) => {
  const server = createServer()
  const wss = new WebSocketServer({ server })
  const upstreamClose = new Promise<{ code: number; reason: string }>((resolve) =>
    wss.on('connection', (ws) => {
      ws.on('message', (data) => ws.send(data))
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    }),
  )
  const port = await listen(server)
  t.after(async () => {
    for (const c of wss.clients) c.terminate()
    wss.close()
    await stop(server)
  })
  const proxy = await tunnelProxy(t, `http://127.0.0.1:${port}`)
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`)
  t.after(() => ws.terminate())
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const echoed = new Promise((resolve) => ws.once('message', resolve))
  ws.send('ping')
  await echoed
  const clientClose = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  const started = performance.now()
  const handle = proxy.handles[0] as TunnelHandle
  handle.close()
  handle.close() // twice is harmless
  assert.deepEqual(await clientClose, { code: 1001, reason: 'going away' })
  assert.deepEqual(await upstreamClose, { code: 1001, reason: 'going away' })
  await handle.closed
  const elapsed = performance.now() - started
  assert.ok(elapsed < GOING_AWAY_MS, `closed in ${Math.round(elapsed)} ms`)
})

test('close() mid-frame: each side gets the frame in progress whole, then the close frame, then FIN', async (t) => {
  const D1 = frame(1000, 0x61, false) // upstream → client
  const D2 = frame(10, 0x62, false)
  const U1 = frame(1000, 0x41, true) // client → upstream
  const U2 = frame(10, 0x42, true)
  let upstreamSocket: Socket | undefined
  let upstreamGot = Buffer.alloc(0)
  let upstreamEnded = false
  const upstreamServer = createNetServer({ allowHalfOpen: true }, (socket) => {
    upstreamSocket = socket
    let head = true
    socket.on('data', (chunk: Buffer) => {
      upstreamGot = Buffer.concat([upstreamGot, chunk])
      const end = upstreamGot.indexOf('\r\n\r\n')
      if (!head || end < 0) return
      head = false
      upstreamGot = upstreamGot.subarray(end + 4)
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      )
      socket.write(D1.subarray(0, 300))
    })
    socket.on('end', () => {
      upstreamEnded = true
      socket.end()
    })
  })
  const upPort = await listen(upstreamServer)
  t.after(() => stop(upstreamServer))
  const proxy = await tunnelProxy(t, `http://127.0.0.1:${upPort}`)

  const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true })
  t.after(() => client.destroy())
  let clientGot = Buffer.alloc(0)
  let clientEnded = false
  client.on('data', (chunk: Buffer) => (clientGot = Buffer.concat([clientGot, chunk])))
  client.on('end', () => {
    clientEnded = true
    client.end()
  })
  client.write(
    'GET /chat HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  )
  const bodyStart = (): number => clientGot.indexOf('\r\n\r\n') + 4
  await eventually(() => bodyStart() > 3 && clientGot.length - bodyStart() === 300, 'half of D1')
  client.write(U1.subarray(0, 500))
  await eventually(() => upstreamGot.length === 500, 'half of U1')

  const handle = proxy.handles[0] as TunnelHandle
  handle.close()
  // The rest of each frame in progress, and one frame more that must not be relayed.
  upstreamSocket?.write(Buffer.concat([D1.subarray(300), D2]))
  client.write(Buffer.concat([U1.subarray(500), U2]))
  await eventually(() => clientEnded && upstreamEnded, 'FIN on both sides')
  await handle.closed

  const toClient = clientGot.subarray(bodyStart())
  assert.deepEqual(toClient.subarray(0, D1.length), D1, 'D1 whole')
  assert.equal(closeCode(toClient.subarray(D1.length)), 1001)
  assert.equal(toClient.length, D1.length + 2 + 2 + 'going away'.length, 'nothing after the close')
  assert.equal((toClient[D1.length + 1] as number) & 0x80, 0, 'unmasked to the client')

  assert.deepEqual(upstreamGot.subarray(0, U1.length), U1, 'U1 whole')
  const toUpstream = upstreamGot.subarray(U1.length)
  assert.equal(closeCode(toUpstream), 1001)
  assert.equal((toUpstream[1] as number) & 0x80, 0x80, 'masked to the upstream (RFC 6455 §5.3)')
  assert.equal(toUpstream.length, 2 + 4 + 2 + 'going away'.length, 'nothing after the close')
})

test('close() before the upstream answered the upgrade: 503 to the client', async (t) => {
  // An upstream that accepts and never answers.
  const silent = createNetServer((socket) => socket.resume())
  const upPort = await listen(silent)
  t.after(() => stop(silent))
  const proxy = await tunnelProxy(t, `http://127.0.0.1:${upPort}`)
  const client = connect(proxy.port, '127.0.0.1')
  t.after(() => client.destroy())
  let got = ''
  client.setEncoding('latin1')
  client.on('data', (d: string) => (got += d))
  client.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')
  await eventually(() => proxy.handles.length === 1, 'the upgrade to reach the proxy')
  // Give the connection to the upstream time to open (the handle is then awaiting its answer).
  await new Promise((resolve) => setTimeout(resolve, 100))
  proxy.handles[0]?.close()
  await proxy.handles[0]?.closed
  assert.match(got, /^HTTP\/1\.1 503 /)
  assert.match(got, /going away/)
})

test('close() with a peer stalled mid-frame: both connections are dropped after GOING_AWAY_MS', async (t) => {
  // The upstream answers 101, sends half a frame and then nothing: no close frame can follow it.
  const stalled = createNetServer({ allowHalfOpen: true }, (socket) => {
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      )
      socket.write(frame(1000, 0x61, false).subarray(0, 100))
    })
    socket.on('end', () => {}) // never ends its side
  })
  const upPort = await listen(stalled)
  t.after(() => stop(stalled))
  const proxy = await tunnelProxy(t, `http://127.0.0.1:${upPort}`)
  const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true })
  t.after(() => client.destroy())
  let got = 0
  client.on('data', (d: Buffer) => (got += d.length))
  client.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')
  await eventually(() => got > 100, 'the 101 and half a frame')
  const ended = new Promise<void>((resolve) => client.once('end', resolve))
  const started = performance.now()
  proxy.handles[0]?.close()
  await proxy.handles[0]?.closed
  const elapsed = performance.now() - started
  await ended
  assert.ok(
    elapsed >= GOING_AWAY_MS - 50 && elapsed < GOING_AWAY_MS + 1_000,
    `dropped after ${Math.round(elapsed)} ms`,
  )
})
