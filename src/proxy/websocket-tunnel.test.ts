import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, createServer as createNetServer, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import {
  closedPort,
  listen,
  proxyRoute,
  proxyWebSocket,
  stop,
  testCertificate,
} from './upstream-fixtures.test.helper.js'
import { UpstreamGroup, type Upstream } from './upstream-group.js'
import type { ProxyRoute } from './types.js'
import type { TunnelHandle, TunnelOptions, TunnelTarget } from './tunnel-target.js'

const DEFAULTS: TunnelOptions = {
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 2_000,
  idleTimeoutMs: 60_000,
  upstreamTls: { verify: true },
}

function upstreamFor(t: TestContext, url: string, overrides: Partial<ProxyRoute> = {}): Upstream {
  const group = new UpstreamGroup(proxyRoute({ upstreams: [{ url }], ...overrides }))
  t.after(() => group.close())
  return group.upstreams[0] as Upstream
}

/** An echo WebSocket server that greets each client and records the request it got. */
async function echoUpstream(
  t: TestContext,
  server: Server = createServer(),
): Promise<{
  port: number
  requests: IncomingMessage[]
}> {
  const requests: IncomingMessage[] = []
  const wss = new WebSocketServer({ server, maxPayload: 4 * 1024 * 1024 })
  wss.on('connection', (ws, req) => {
    requests.push(req)
    ws.send('welcome')
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  })
  const port = await listen(server)
  t.after(async () => {
    for (const client of wss.clients) client.terminate()
    wss.close()
    await stop(server)
  })
  return { port, requests }
}

type TunnelHooks = Pick<TunnelTarget, 'onAnswer' | 'onFailure'>

/**
 * A plain HTTP server whose 'upgrade' event tunnels to `upstream`, as the gateway does; `hooks`
 * are the target's (the gateway's passive health and retries).
 */
async function tunnelProxy(
  t: TestContext,
  upstream: Upstream,
  options: Partial<TunnelOptions> = {},
  setup: (server: Server) => void = () => {},
  hooks: TunnelHooks = {},
): Promise<{ url: string; port: number; handles: TunnelHandle[] }> {
  const handles: TunnelHandle[] = []
  const server = createServer((_req, res) => res.writeHead(404).end())
  setup(server)
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const headers: Record<string, string | string[]> = { 'x-forwarded-for': '192.0.2.7' }
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = value
    }
    const target = { upstream, path: req.url ?? '/', headers, ...hooks }
    handles.push(proxyWebSocket(req, socket, head, target, { ...DEFAULTS, ...options }))
  })
  const port = await listen(server)
  t.after(async () => {
    for (const handle of handles) handle.close()
    await stop(server)
  })
  return { url: `ws://127.0.0.1:${port}`, port, handles }
}

/**
 * A connected client and its inbox, which listens from the start: the first message can arrive in
 * the same read as the handshake answer, before any code after `await open()` runs.
 */
async function open(url: string): Promise<{ ws: WebSocket; messages: Inbox }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024 })
    const messages = inbox(ws)
    ws.once('open', () => resolve({ ws, messages }))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)))
  })
}

/** Messages of `ws` as they arrive, for `next()`. */
interface Inbox {
  next(): Promise<RawData>
  /** The next message as UTF-8 text. */
  text(): Promise<string>
}

function inbox(ws: WebSocket): Inbox {
  const queue: RawData[] = []
  const waiting: Array<{ resolve: (data: RawData) => void; reject: (err: Error) => void }> = []
  let closed = false
  ws.on('message', (data) => {
    const waiter = waiting.shift()
    if (waiter) waiter.resolve(data)
    else queue.push(data)
  })
  // A test waiting for a message fails at once when the connection closes instead of hanging.
  ws.on('close', (code) => {
    closed = true
    for (const waiter of waiting.splice(0))
      waiter.reject(new Error(`closed (${code}) before a message`))
  })
  const next = (): Promise<RawData> => {
    const data = queue.shift()
    if (data !== undefined) return Promise.resolve(data)
    if (closed) return Promise.reject(new Error('closed before a message'))
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }))
  }
  const text = async (): Promise<string> => {
    const data = await next()
    if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
    return Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(new Uint8Array(data)).toString('utf8')
  }
  return { next, text }
}

/** The status and body a WebSocket client gets when the handshake is refused. */
function refusal(
  url: string,
): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => reject(new Error('the handshake succeeded')))
    ws.once('error', () => {})
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        ws.terminate()
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers })
      })
    })
  })
}

function closeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)))
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('a tunnel passes messages both ways, with the path, query and headers it was given', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${up.port}`))
  const { ws, messages } = await open(`${proxy.url}/ws/chat?room=1`)
  t.after(() => ws.terminate())
  assert.equal(await messages.text(), 'welcome')
  ws.send('hello')
  assert.equal(await messages.text(), 'hello')
  ws.send('again')
  assert.equal(await messages.text(), 'again')
  assert.equal(up.requests[0]?.url, '/ws/chat?room=1')
  assert.equal(up.requests[0]?.headers['x-forwarded-for'], '192.0.2.7')
  ws.close(1000)
  assert.equal(await closeOf(ws), 1000)
  await proxy.handles[0]?.closed
})

test('a 1 MiB binary message is echoed intact', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${up.port}`))
  const { ws, messages } = await open(proxy.url)
  t.after(() => ws.terminate())
  await messages.next()
  const payload = randomBytes(1024 * 1024)
  ws.send(payload)
  const echoed = await messages.next()
  assert.ok(Buffer.isBuffer(echoed))
  assert.equal(echoed.length, payload.length)
  assert.ok(echoed.equals(payload))
})

test('an upstream refusing the upgrade: its answer reaches the client, and the connection closes', async (t) => {
  const upstreamServer = createServer()
  upstreamServer.on('upgrade', (_req, socket: Socket) => {
    socket.end(
      'HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nX-Reason: no token\r\nKeep-Alive: timeout=5\r\n\r\nforbidden',
    )
  })
  const port = await listen(upstreamServer)
  t.after(() => stop(upstreamServer))
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${port}`))
  const answer = await refusal(proxy.url)
  assert.equal(answer.status, 403)
  assert.equal(answer.body, 'forbidden')
  assert.equal(answer.headers['x-reason'], 'no token')
  assert.equal(answer.headers['connection'], 'close')
  assert.equal(answer.headers['keep-alive'], undefined)
  await proxy.handles[0]?.closed
})

test('a chunked refusal from a kept-alive upstream is relayed whole, then the client connection ends', async (t) => {
  const upstreamServer = createNetServer((socket) => {
    socket.once('data', () =>
      // Keeps the connection open after the answer: the tunnel must see where the body ends.
      socket.write(
        'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n' +
          '4\r\nlog \r\n6\r\nin fir\r\n3\r\nst!\r\n0\r\n\r\n',
      ),
    )
  })
  const port = await listen(upstreamServer)
  t.after(() => stop(upstreamServer))
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${port}`))
  const raw = await rawExchange(proxy.port, upgradeRequest('/x'))
  assert.match(raw, /^HTTP\/1\.1 401 Unauthorized\r\n/)
  assert.match(raw, /\r\nTransfer-Encoding: chunked\r\n/)
  assert.match(raw, /\r\nconnection: close\r\n/)
  assert.ok(!/keep-alive/i.test(raw))
  assert.ok(
    raw.endsWith('\r\n\r\n4\r\nlog \r\n6\r\nin fir\r\n3\r\nst!\r\n0\r\n\r\n'),
    JSON.stringify(raw),
  )
})

function upgradeRequest(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: test-protocol\r\n\r\n${extra}`
}

/** Sends `request` on a raw connection and returns everything received until the proxy ends it. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.on('end', () => {
      socket.destroy()
      resolve(data)
    })
    socket.on('error', reject)
    socket.write(request)
  })
}

test('errors before the upgrade are 502/504 answers naming the cause', async (t) => {
  const refusedPort = await closedPort()
  const refused = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${refusedPort}`))
  const answer = await refusal(refused.url)
  assert.equal(answer.status, 502)
  assert.equal(answer.body, `upstream 127.0.0.1:${refusedPort} refused the connection\n`)

  // Accepts and reads, never answers.
  const mute = createNetServer((socket) => socket.resume())
  const mutePort = await listen(mute)
  t.after(() => stop(mute))
  const slow = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${mutePort}`), {
    responseTimeoutMs: 300,
  })
  const started = Date.now()
  const timeout = await refusal(slow.url)
  assert.equal(timeout.status, 504)
  assert.match(timeout.body, /did not answer the upgrade within 300 ms/)
  assert.ok(Date.now() - started >= 250)

  // Answers with garbage.
  const rude = createNetServer((socket) =>
    socket.once('data', () => socket.end('SSH-2.0-OpenSSH\r\n\r\n')),
  )
  const rudePort = await listen(rude)
  t.after(() => stop(rude))
  const bad = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${rudePort}`))
  const malformed = await refusal(bad.url)
  assert.equal(malformed.status, 502)
  assert.match(malformed.body, /sent a malformed response: bad status line/)

  // Closes without a word.
  const quitter = createNetServer((socket) => socket.once('data', () => socket.end()))
  const quitterPort = await listen(quitter)
  t.after(() => stop(quitter))
  const gone = await refusal(
    (await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${quitterPort}`))).url,
  )
  assert.equal(gone.status, 502)
  assert.match(gone.body, /closed the connection without answering the upgrade/)

  // A response head that never ends.
  const chatty = createNetServer((socket) =>
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\n')
      socket.write(`X-Long: ${'a'.repeat(20_000)}\r\n`)
    }),
  )
  const chattyPort = await listen(chatty)
  t.after(() => stop(chatty))
  const big = await refusal(
    (await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${chattyPort}`))).url,
  )
  assert.equal(big.status, 502)
  assert.match(big.body, /response head over 16384 bytes/)
})

test('an idle tunnel is closed after its idle timeout', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${up.port}`), {
    idleTimeoutMs: 300,
  })
  const { ws, messages } = await open(proxy.url)
  t.after(() => ws.terminate())
  const started = Date.now()
  await messages.next()
  const code = await closeOf(ws)
  const elapsed = Date.now() - started
  assert.equal(code, 1006, 'closed by the proxy, without a close frame')
  assert.ok(elapsed >= 250 && elapsed < 3000, `closed after ${elapsed} ms`)
  await proxy.handles[0]?.closed
})

test('a tunnel with traffic outlives its idle timeout, whichever side sends', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${up.port}`), {
    idleTimeoutMs: 400,
  })
  const { ws, messages } = await open(proxy.url)
  t.after(() => ws.terminate())
  await messages.next()
  let closed = false
  ws.once('close', () => (closed = true))
  for (let i = 0; i < 12; i++) {
    await sleep(100)
    ws.send(`tick ${i}`)
    assert.equal(await messages.text(), `tick ${i}`)
  }
  assert.equal(closed, false, 'open after 1.2 s of traffic with a 400 ms idle timeout')
  assert.equal(ws.readyState, WebSocket.OPEN)
})

test('a keep-alive socket timeout set by the HTTP server does not apply to a tunnel (no hidden limit)', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await tunnelProxy(
    t,
    upstreamFor(t, `http://127.0.0.1:${up.port}`),
    { idleTimeoutMs: 10_000 },
    // As a server enforcing a keep-alive idle limit on its sockets would: 200 ms, then destroy.
    (server) =>
      server.on('connection', (socket: Socket) => socket.setTimeout(200, () => socket.destroy())),
  )
  const { ws, messages } = await open(proxy.url)
  t.after(() => ws.terminate())
  await messages.next()
  await sleep(700)
  ws.send('still here')
  assert.equal(await messages.text(), 'still here')
})

test('the close handle ends the tunnel going away (1001), and closed settles', async (t) => {
  const up = await echoUpstream(t)
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${up.port}`))
  const { ws, messages } = await open(proxy.url)
  t.after(() => ws.terminate())
  await messages.next()
  const handle = proxy.handles[0] as TunnelHandle
  const closing = closeOf(ws)
  handle.close()
  assert.equal(await closing, 1001)
  await handle.closed
  handle.close() // twice is harmless
})

test('half-close travels through the tunnel; bytes past the heads are kept both ways', async (t) => {
  const seen: string[] = []
  const upstreamServer = createNetServer({ allowHalfOpen: true }, (socket) => {
    let buffered = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      if (!seen.length && buffered.includes('\r\n\r\n')) {
        const [head, rest] = buffered.split('\r\n\r\n') as [string, string]
        seen.push(head)
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: test-protocol\r\nConnection: Upgrade\r\n\r\nearly|',
        )
        if (rest) socket.write(`echo:${rest}|`)
      } else if (seen.length) {
        socket.write(`echo:${chunk}|`)
      }
    })
    socket.on('end', () => socket.end('bye'))
  })
  const port = await listen(upstreamServer)
  t.after(() => stop(upstreamServer))
  const proxy = await tunnelProxy(t, upstreamFor(t, `http://127.0.0.1:${port}`))

  const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true })
  t.after(() => client.destroy())
  let received = ''
  client.setEncoding('latin1')
  client.on('data', (chunk: string) => (received += chunk))
  const ended = new Promise<void>((resolve) => client.once('end', resolve))
  client.write(upgradeRequest('/raw?x=1', 'HELLO'))
  while (!received.includes('echo:HELLO|')) await sleep(10)
  client.write('more')
  while (!received.includes('echo:more|')) await sleep(10)
  client.end() // our half: the upstream sees its end, answers, then ends its own
  await ended
  assert.match(seen[0] ?? '', /^GET \/raw\?x=1 HTTP\/1\.1\r\n/)
  assert.match(
    received,
    /^HTTP\/1\.1 101 Switching Protocols\r\nUpgrade: test-protocol\r\nConnection: Upgrade\r\n\r\nearly\|/,
  )
  assert.ok(received.endsWith('echo:more|bye'), JSON.stringify(received))
  await proxy.handles[0]?.closed
})

test('wss upstream: verified against its CA file, refused with another', async (t) => {
  const cert = await testCertificate(['localhost', '127.0.0.1'])
  const other = await testCertificate(['localhost'])
  t.after(() => cert.remove())
  t.after(() => other.remove())
  const up = await echoUpstream(t, createHttpsServer({ cert: cert.cert, key: cert.key }))
  const url = `https://127.0.0.1:${up.port}`
  const good = await tunnelProxy(
    t,
    upstreamFor(t, url, { upstreamTls: { caFile: cert.caFile, verify: true } }),
  )
  const { ws, messages } = await open(good.url)
  t.after(() => ws.terminate())
  assert.equal(await messages.text(), 'welcome')
  ws.send('over tls')
  assert.equal(await messages.text(), 'over tls')

  const wrong = await tunnelProxy(
    t,
    upstreamFor(t, url, { upstreamTls: { caFile: other.caFile, verify: true } }),
  )
  const answer = await refusal(wrong.url)
  assert.equal(answer.status, 502)
  assert.match(answer.body, /certificate/i)

  // An upstream not made by a group: TLS settings come from the options.
  const bare: Upstream = {
    label: url,
    url: new URL(url),
    dispatcher: upstreamFor(t, url).dispatcher,
    active: 0,
    healthy: true,
  }
  const direct = await tunnelProxy(t, bare, { upstreamTls: { caFile: cert.caFile, verify: true } })
  const { ws: ws2, messages: messages2 } = await open(direct.url)
  t.after(() => ws2.terminate())
  assert.equal(await messages2.text(), 'welcome')
})

test('how each attempt ends reaches the target: connect failures (refused, connect timeout, TLS), a response timeout, others, and answers', async (t) => {
  const ends: string[] = []
  const hooks: TunnelHooks = {
    onAnswer: () => ends.push('answer'),
    onFailure: (failure) => {
      ends.push(failure)
      return undefined
    },
  }
  const through = async (url: string, options: Partial<TunnelOptions> = {}) =>
    (await tunnelProxy(t, upstreamFor(t, url), options, () => {}, hooks)).url
  const server = async (onSocket: (socket: Socket) => void): Promise<number> => {
    const s = createNetServer(onSocket)
    t.after(() => stop(s))
    return listen(s)
  }

  const refused = await refusal(await through(`http://127.0.0.1:${await closedPort()}`))
  // Accepts TCP and never speaks TLS: the connect timeout covers the TLS handshake.
  const silent = await server((socket) => socket.resume())
  const connectTimeout = await refusal(
    await through(`https://127.0.0.1:${silent}`, { connectTimeoutMs: 200 }),
  )
  const resetting = await server((socket) => socket.resetAndDestroy())
  const tlsFailure = await refusal(await through(`https://127.0.0.1:${resetting}`))
  assert.deepEqual([refused.status, connectTimeout.status, tlsFailure.status], [502, 504, 502])
  assert.deepEqual(ends.splice(0), ['connect', 'connect', 'connect'])

  const mute = await server((socket) => socket.resume())
  const responseTimeout = await refusal(
    await through(`http://127.0.0.1:${mute}`, { responseTimeoutMs: 200 }),
  )
  const quitter = await server((socket) => socket.once('data', () => socket.end()))
  const quit = await refusal(await through(`http://127.0.0.1:${quitter}`))
  assert.deepEqual([responseTimeout.status, quit.status], [504, 502])
  assert.deepEqual(ends.splice(0), ['timeout', 'other'])

  const up = await echoUpstream(t)
  const { ws, messages } = await open(await through(`http://127.0.0.1:${up.port}`))
  t.after(() => ws.terminate())
  assert.equal(await messages.text(), 'welcome')
  const refusing = await server((socket) =>
    socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')),
  )
  assert.equal((await refusal(await through(`http://127.0.0.1:${refusing}`))).status, 403)
  assert.deepEqual(ends, ['answer', 'answer'])
})

test('a target given after a connect failure is tried instead: the client never sees the failure, and bytes past its request reach the new upstream', async (t) => {
  const seen: string[] = []
  const upstreamServer = createNetServer((socket) => {
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      seen.push(chunk)
      if (seen.length === 1)
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: test-protocol\r\nConnection: Upgrade\r\n\r\n',
        )
    })
  })
  const port = await listen(upstreamServer)
  t.after(() => stop(upstreamServer))
  const live = upstreamFor(t, `http://127.0.0.1:${port}`)
  const failures: string[] = []
  const proxy = await tunnelProxy(
    t,
    upstreamFor(t, `http://127.0.0.1:${await closedPort()}`),
    {},
    () => {},
    {
      onFailure: (failure, err) => {
        failures.push(`${failure} ${(err as NodeJS.ErrnoException).code}`)
        return { upstream: live, path: '/retried', headers: { host: 'app.test' } }
      },
    },
  )
  const client = connect(proxy.port, '127.0.0.1')
  t.after(() => client.destroy())
  let received = ''
  client.setEncoding('latin1')
  client.on('data', (chunk: string) => (received += chunk))
  client.write(upgradeRequest('/first', 'EARLY'))
  while (!received.includes('\r\n\r\n')) await sleep(10)
  assert.match(received, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
  assert.deepEqual(failures, ['connect ECONNREFUSED'])
  client.write('LATER')
  while (!seen.join('').includes('LATER')) await sleep(10)
  assert.match(seen.join(''), /^GET \/retried HTTP\/1\.1\r\nhost: app\.test\r\n\r\nEARLYLATER$/)
})
