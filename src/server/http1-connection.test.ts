import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { Client } from 'undici'
import type { SocketReply } from '../proxy/socket-reply.js'
import type { Http1Request } from '../proxy/types.js'
import { Http1Connection } from './http1-connection.js'
import type { Http1Handlers } from './http1-handlers.js'

const LIMITS = {
  maxHeadBytes: 4096,
  headerTimeoutMs: 300,
  bodyTimeoutMs: 300,
  idleTimeoutMs: 2000,
  lingerMs: 500,
}

type Handler = (req: Http1Request, reply: SocketReply) => void

/** A loopback server whose connections are Http1Connections; stopped with the test. */
async function serve(
  t: TestContext,
  request: Handler,
  upgrade: Http1Handlers['upgrade'] = () => false,
  limits = LIMITS,
): Promise<{ port: number; connections: Http1Connection[] }> {
  const connections: Http1Connection[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    connections.push(new Http1Connection(socket, { request, upgrade }, limits))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return { port: (server.address() as AddressInfo).port, connections }
}

/** Sends raw bytes, returns everything the server wrote until it closed (or `ms` passed). */
async function exchange(port: number, bytes: string, ms = 3000): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  const parts: Buffer[] = []
  socket.on('data', (d: Buffer) => parts.push(d))
  socket.on('error', () => {})
  socket.write(bytes)
  const timer = setTimeout(() => socket.destroy(), ms)
  await once(socket, 'close')
  clearTimeout(timer)
  return Buffer.concat(parts).toString('latin1')
}

const text = (status: number, body: string): Handler => {
  return (_req, reply) => {
    reply.head(status, ['content-type', 'text/plain', 'content-length', String(body.length)])
    reply.end(body)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function readAll(body: NodeJS.ReadableStream | null): Promise<string> {
  if (!body) return ''
  const parts: Buffer[] = []
  for await (const part of body) parts.push(part as Buffer)
  return Buffer.concat(parts).toString()
}

test('keep-alive and pipelining through undici: answers in order, one connection', async (t) => {
  let seen = 0
  const order: string[] = []
  const { port, connections } = await serve(t, (req, reply) => {
    seen++
    order.push(`start ${req.head.target}`)
    // The first answer is slow: the second request must not be read before it ends.
    const delay = req.head.target === '/1' ? 100 : 0
    setTimeout(() => {
      order.push(`end ${req.head.target}`)
      reply.head(200, ['content-length', String(req.head.target.length)])
      reply.end(req.head.target)
    }, delay)
  })
  const client = new Client(`http://127.0.0.1:${port}`, { pipelining: 3 })
  t.after(() => client.close())
  const answers = await Promise.all(
    ['/1', '/2', '/3'].map(async (path) => {
      const res = await client.request({ path, method: 'GET' })
      return `${res.statusCode} ${await res.body.text()}`
    }),
  )
  assert.deepEqual(answers, ['200 /1', '200 /2', '200 /3'])
  assert.deepEqual(order, ['start /1', 'end /1', 'start /2', 'end /2', 'start /3', 'end /3'])
  assert.equal(seen, 3)
  assert.equal(connections.length, 1)
})

test('bodies: Content-Length and chunked requests decoded; the next request follows', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    void readAll(req.body).then((body) => {
      reply.head(200, ['content-length', String(body.length + 1)])
      reply.end(`${body}|`)
    })
  })
  const raw =
    'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
    'POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n' +
    'GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  const out = await exchange(port, raw)
  const bodies = [...out.matchAll(/\r\n\r\n([^H]*\|)/g)].map((m) => m[1])
  assert.deepEqual(bodies, ['hello|', 'abcde|', '|'])
  assert.match(out, /connection: close\r\n/)
})

test('a malformed chunked body is answered 400 and the connection closed', async (t) => {
  let bodyError: Error | undefined
  let handled: () => void = () => {}
  const handling = new Promise<void>((resolve) => (handled = resolve))
  const { port } = await serve(t, (req, reply) => {
    handled()
    req.body?.on('error', (err) => {
      bodyError = err
      // What the proxy does when its upstream request fails: answer 502. Too late, and harmless.
      text(502, 'upstream failed')(req, reply)
    })
    req.body?.resume()
  })
  // The bad chunk is sent once the handler holds the body (sent at once, it could share the head's
  // packet, and then the body is refused before any handler runs).
  const socket = connect(port, '127.0.0.1')
  let out = ''
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')))
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
  await handling
  socket.write('5 5\r\nhello\r\n0\r\n\r\n')
  await once(socket, 'close')
  assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/)
  assert.match(out, /connection: close/)
  assert.equal(out.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer only')
  assert.ok(bodyError, 'the handler sees its body fail')
})

test('framing of answers: chunked without a length, none for HEAD and 204, close for HTTP/1.0', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    const status = req.head.target === '/204' ? 204 : 200
    reply.head(status, req.head.target === '/len' ? ['content-length', '2'] : ['x-a', '1'])
    reply.write('o')
    reply.end('k')
  })
  const chunked = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.match(chunked, /transfer-encoding: chunked\r\n/)
  assert.match(chunked, /\r\n\r\n1\r\no\r\n1\r\nk\r\n0\r\n\r\n$/)
  const head = await exchange(port, 'HEAD /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.match(head, /content-length: 2\r\n/)
  assert.ok(head.endsWith('\r\n\r\n'), 'no body after the head of a HEAD answer')
  const empty = await exchange(port, 'GET /204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.ok(empty.startsWith('HTTP/1.1 204 No Content\r\n') && empty.endsWith('\r\n\r\n'))
  const old = await exchange(port, 'GET / HTTP/1.0\r\n\r\n')
  assert.doesNotMatch(old, /transfer-encoding/)
  assert.match(old, /connection: close\r\n/)
  assert.ok(old.endsWith('\r\n\r\nok'), 'HTTP/1.0: the body runs to the close')
  assert.match(old, /\r\ndate: \w{3}, \d\d \w{3} \d{4} /)
})

test('refusals: a bad head is 400, a big one 431, a slow one 408; each closes', async (t) => {
  const { port } = await serve(t, text(200, 'x'))
  assert.match(await exchange(port, 'GET / HTTP/1.1\r\nX : 1\r\n\r\n'), /^HTTP\/1\.1 400 /)
  assert.match(await exchange(port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(5000)}`), /^HTTP\/1\.1 431 /)
  const started = Date.now()
  assert.match(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n'), /^HTTP\/1\.1 408 /)
  assert.ok(Date.now() - started >= LIMITS.headerTimeoutMs - 20)
})

test('an idle connection closes after idleTimeoutMs; closeIdle closes it at once, not a busy one', async (t) => {
  let release: (() => void) | undefined
  const { port, connections } = await serve(
    t,
    (_req, reply) => (release = () => text(200, 'x')(_req, reply)),
    () => false,
    { ...LIMITS, idleTimeoutMs: 200 },
  )
  const started = Date.now()
  assert.equal(await exchange(port, ''), '')
  assert.ok(Date.now() - started >= 180, 'closed by the idle timeout')
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.resume()
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  while (!release) await new Promise((r) => setTimeout(r, 5))
  const busy = connections.at(-1) as Http1Connection
  assert.equal(busy.closeIdle(), false)
  release()
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(busy.closeIdle(), true)
  await once(socket, 'close')
})

test('Expect: 100-continue: the interim answer only when the handler asks', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    if (req.head.target === '/no') return text(413, 'too big')(req, reply)
    if (req.head.target === '/late') {
      text(413, 'too big')(req, reply)
      // Asked after the final answer: nothing may follow it.
      setTimeout(() => req.continue(), 20)
      return
    }
    req.continue()
    void readAll(req.body).then((body) => text(200, body)(req, reply))
  })
  const socket = connect(port, '127.0.0.1')
  let got = ''
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')))
  socket.write('POST /yes HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n')
  while (!got.includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 5))
  assert.equal(got, 'HTTP/1.1 100 Continue\r\n\r\n')
  socket.end('hi')
  await once(socket, 'close')
  assert.match(got, /\r\n\r\nhi$/)
  const refused = await exchange(
    port,
    'POST /no HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n',
  )
  assert.match(refused, /^HTTP\/1\.1 413 /)
  const late = await exchange(
    port,
    'POST /late HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n',
  )
  assert.match(late, /^HTTP\/1\.1 413 /)
  assert.doesNotMatch(late, /100 Continue/)
})

test('answered before its body was read: dropped to reach the next request, or closed with lingerBody', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    if (req.head.target === '/linger') reply.lingerBody()
    text(200, req.head.target)(req, reply)
  })
  const kept = await exchange(
    port,
    'POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
      'GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  )
  assert.match(kept, /\/early.*HTTP\/1\.1 200 OK.*\/next$/s)
  const closed = await exchange(
    port,
    'POST /linger HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\n\r\n',
  )
  assert.match(closed, /connection: close\r\n/)
  assert.doesNotMatch(closed, /\/next/)
  // A body that turns out malformed while it is being dropped ends the connection, unanswered.
  const socket = connect(port, '127.0.0.1')
  let got = ''
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')))
  socket.on('error', () => {})
  socket.write('POST /early HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
  while (!got.endsWith('/early')) await new Promise((r) => setTimeout(r, 5))
  const started = Date.now()
  socket.write('zz\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n')
  await once(socket, 'close')
  assert.equal(got.match(/HTTP\/1\.1 /g)?.length, 1, got)
  assert.ok(Date.now() - started < LIMITS.lingerMs, 'closed at the framing error, not by a timer')
})

test('upgrade: a taken socket gets the bytes past the head; a declined one is served and closed', async (t) => {
  const { port } = await serve(t, text(200, 'plain'), (req, rest) => {
    if (req.head.target !== '/ws') return false
    req.socket.end(`HTTP/1.1 101 Switching Protocols\r\n\r\n${rest.toString()}`)
    return true
  })
  const upgrade = 'Connection: upgrade\r\nUpgrade: websocket\r\nHost: x\r\n\r\n'
  assert.equal(
    await exchange(port, `GET /ws HTTP/1.1\r\n${upgrade}early`),
    'HTTP/1.1 101 Switching Protocols\r\n\r\nearly',
  )
  const declined = await exchange(port, `GET /other HTTP/1.1\r\n${upgrade}`)
  assert.match(declined, /^HTTP\/1\.1 200 OK\r\n/)
  assert.match(declined, /connection: close\r\n/)
})

test('a header that would split the answer is refused before anything is written', async (t) => {
  let thrown: unknown
  const { port } = await serve(t, (_req, reply) => {
    try {
      reply.head(200, ['x-a', 'one\r\nx-b: two'])
    } catch (err) {
      thrown = err
    }
    text(502, 'bad')(_req, reply)
  })
  const out = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.ok(thrown instanceof TypeError)
  assert.match(out, /^HTTP\/1\.1 502 /)
  assert.doesNotMatch(out, /x-b/)
})

test('onClose callbacks run after the code that ended the answer, once; at once when the client goes', async (t) => {
  const order: string[] = []
  let gone: SocketReply | undefined
  const { port } = await serve(t, (req, reply) => {
    reply.onClose(() => order.push(`closed ${req.head.target}`))
    if (req.head.target === '/hang') {
      gone = reply
      return
    }
    text(200, 'x')(req, reply)
    order.push(`after end ${req.head.target}`)
  })
  await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  await exchange(port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 200)
  while (order.length < 3) await new Promise((r) => setTimeout(r, 5))
  assert.deepEqual(order, ['after end /a', 'closed /a', 'closed /hang'])
  assert.equal(gone?.finished, false)
})

test('a long pipeline answered at once by the handler: every answer, no stack overflow', async (t) => {
  // Each answer ended inside the handler asks for the next request: read in a loop, not by recursion
  // (a few thousand small pipelined requests overflowed the stack in the socket's 'data' handler).
  const { port } = await serve(t, text(200, 'ok'))
  const count = 5000
  const raw =
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count - 1) +
    'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  const out = await exchange(port, raw, 10_000)
  assert.equal(out.match(/HTTP\/1\.1 200 OK\r\n/g)?.length, count)
})

test('a body the handler never reads fails without ending the process: malformed, or the client gone', async (t) => {
  // As a static or redirect route does: the answer comes later and the body is never listened to.
  const bodies: (NodeJS.ReadableStream | null)[] = []
  const { port } = await serve(t, (req, reply) => {
    bodies.push(req.body)
    setTimeout(() => text(200, 'late')(req, reply), 100)
  })
  const head = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
  const socket = connect(port, '127.0.0.1')
  let out = ''
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')))
  socket.write(head)
  await new Promise((r) => setTimeout(r, 30))
  socket.write('zz\r\n')
  await once(socket, 'close')
  assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/)
  // The client goes away in the middle of its body.
  const gone = connect(port, '127.0.0.1')
  gone.write(`${head}5\r\nhel`)
  while (bodies.length < 2) await new Promise((r) => setTimeout(r, 5))
  gone.destroy()
  await new Promise((r) => setTimeout(r, 150))
  assert.equal(bodies.length, 2)
})

test('a body refused as malformed in the packet of its head never reaches the handler', async (t) => {
  let calls = 0
  const { port } = await serve(t, (req, reply) => {
    calls++
    text(200, 'served')(req, reply)
  })
  const out = await exchange(
    port,
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n0\r\n\r\n',
  )
  assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/)
  assert.equal(out.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer only')
  assert.equal(calls, 0, 'a refused request is not handed on (the proxy would send it upstream)')
})

test('a request refused before any handler saw it is reported to refused(), once', async (t) => {
  const refused: [number, number][] = []
  let calls = 0
  const server: Server = createServer((socket) => {
    const handlers: Http1Handlers = {
      request: () => calls++,
      upgrade: () => false,
      refused: (status, bodyBytes) => refused.push([status, bodyBytes]),
    }
    new Http1Connection(socket, handlers, LIMITS)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const port = (server.address() as AddressInfo).port
  const body = (out: string): number => Buffer.byteLength(out.slice(out.indexOf('\r\n\r\n') + 4))
  // A chunked body malformed in the packet of its head, then a head that is not HTTP.
  const malformed = await exchange(
    port,
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n0\r\n\r\n',
  )
  assert.match(malformed, /^HTTP\/1\.1 400 /)
  const garbage = await exchange(port, 'NOT HTTP\r\n\r\n')
  assert.match(garbage, /^HTTP\/1\.1 400 /)
  assert.equal(calls, 0)
  assert.deepEqual(refused, [
    [400, body(malformed)],
    [400, body(garbage)],
  ])
})

test('a stalled request body: 408 and closed after bodyTimeoutMs without a read; its body fails', async (t) => {
  let bodyError: Error | undefined
  const { port } = await serve(t, (req) => {
    req.body?.on('error', (err) => (bodyError = err))
    req.body?.resume()
  })
  const started = Date.now()
  // Ten bytes of a thousand, then nothing: without a bound it would hold the connection for good.
  const out = await exchange(
    port,
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789',
  )
  assert.match(out, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  assert.match(out, /connection: close\r\n/)
  assert.ok(Date.now() - started >= LIMITS.bodyTimeoutMs - 20, 'not before the bound')
  // What the proxy's upstream request reads from: it fails, so the upstream request is aborted.
  assert.match(String(bodyError?.message), /request body stalled: no byte for 300 ms/)
})

test('the body timeout runs between two reads, not over the whole body', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    void readAll(req.body).then((body) => text(200, `got ${body.length}`)(req, reply))
  })
  const socket = connect(port, '127.0.0.1')
  let out = ''
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')))
  const closed = once(socket, 'close')
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 80\r\nConnection: close\r\n\r\n')
  // 8 × 60 ms: longer than the bound in all, never a pause as long as it.
  for (let i = 0; i < 8; i++) {
    await sleep(60)
    socket.write('0123456789')
  }
  await closed
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n.*got 80$/s)
})

test('the body timeout does not run while the handler leaves the body unread', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    // The reader fills and reading stops: that wait is the handler's (an upstream slow to take
    // the upload), not the client's.
    setTimeout(() => {
      void readAll(req.body).then((body) => text(200, `got ${body.length}`)(req, reply))
    }, 3 * LIMITS.bodyTimeoutMs)
  })
  const size = 256 * 1024
  const out = await exchange(
    port,
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n${'a'.repeat(size)}`,
  )
  assert.match(out, new RegExp(`^HTTP/1\\.1 200 OK\\r\\n.*got ${size}$`, 's'))
})

test('the body timeout starts again once the handler reads: a client that then stalls gets 408', async (t) => {
  let bodyError: Error | undefined
  const { port } = await serve(t, (req) => {
    req.body?.on('error', (err) => (bodyError = err))
    // Unread long enough for the reader to fill and the socket to pause, then read.
    setTimeout(() => req.body?.resume(), 3 * LIMITS.bodyTimeoutMs)
  })
  const size = 256 * 1024
  // Ten bytes short of the length, then nothing.
  const out = await exchange(
    port,
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n${'a'.repeat(size - 10)}`,
  )
  assert.match(out, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  assert.match(String(bodyError?.message), /request body stalled/)
})

test('Expect: 100-continue: the body timeout counts from the interim answer', async (t) => {
  const { port } = await serve(t, (req, reply) => {
    // The handler takes its time to accept the body: the client, waiting for 100, sends nothing.
    setTimeout(() => {
      req.continue()
      void readAll(req.body).then((body) => text(200, `got ${body}`)(req, reply))
    }, 2 * LIMITS.bodyTimeoutMs)
  })
  const socket = connect(port, '127.0.0.1')
  let got = ''
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')))
  const closed = once(socket, 'close')
  socket.write(
    'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n',
  )
  while (!got.includes('\r\n\r\n') && !socket.destroyed) await sleep(5)
  socket.write('hi')
  await closed
  assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n.*got hi$/s)
})

test('a body stalled after the answer began: the connection is destroyed, the reply closed', async (t) => {
  let closed = false
  const { port } = await serve(t, (req, reply) => {
    reply.onClose(() => (closed = true))
    reply.head(200, ['content-length', '4'])
    reply.write('ab')
    req.body?.resume()
  })
  const started = Date.now()
  const out = await exchange(
    port,
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nxx',
    10 * LIMITS.bodyTimeoutMs,
  )
  assert.ok(Date.now() - started < 5 * LIMITS.bodyTimeoutMs, 'closed by the server, not the client')
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n.*\r\n\r\nab$/s)
  assert.doesNotMatch(out, /408/)
  assert.equal(closed, true, 'the reply learns that the exchange is over')
})

test('an answer ended short of its Content-Length, or written past it, ends the connection', async (t) => {
  const served: string[] = []
  const { port } = await serve(t, (req, reply) => {
    served.push(req.head.target)
    reply.head(200, ['content-length', '10'])
    if (req.head.target === '/short') return reply.end('short')
    if (req.head.target === '/long') return reply.end('much too long')
    reply.write('0123456')
    reply.write('789')
    reply.end()
  })
  const next = 'GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  // Kept alive, the client would read the next answer as the rest of the body.
  const short = await exchange(port, `GET /short HTTP/1.1\r\nHost: x\r\n\r\n${next}`)
  assert.ok((short.match(/HTTP\/1\.1 /g)?.length ?? 0) <= 1, short)
  // Written in full, the bytes past the length would be read as the start of the next answer.
  const long = await exchange(port, `GET /long HTTP/1.1\r\nHost: x\r\n\r\n${next}`)
  assert.doesNotMatch(long, /ong/)
  assert.ok((long.match(/HTTP\/1\.1 /g)?.length ?? 0) <= 1, long)
  assert.deepEqual(served, ['/short', '/long'], 'the request after a broken answer is not served')
  // The exact length in several writes keeps the connection for the next request.
  const exact = await exchange(port, `GET /exact HTTP/1.1\r\nHost: x\r\n\r\n${next}`)
  assert.match(exact, /\r\n\r\n0123456789HTTP\/1\.1 200 OK\r\n/)
})

test('a Content-Length that is not one number is refused before anything is written', async (t) => {
  const thrown: unknown[] = []
  const { port } = await serve(t, (req, reply) => {
    for (const value of ['1x', '-1', '']) {
      try {
        reply.head(200, ['content-length', value])
      } catch (err) {
        thrown.push(err)
      }
    }
    try {
      reply.head(200, ['content-length', '2', 'Content-Length', '3'])
    } catch (err) {
      thrown.push(err)
    }
    text(200, 'ok')(req, reply)
  })
  const out = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.equal(thrown.length, 4)
  assert.ok(thrown.every((err) => err instanceof TypeError))
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n.*\r\n\r\nok$/s)
})

test('heads arriving in pieces, the end of one split inside its CRLF CRLF, pipelined: each read once', async (t) => {
  const { port } = await serve(t, (req, reply) => text(200, req.head.target)(req, reply))
  const socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  let out = ''
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')))
  const closed = once(socket, 'close')
  const pieces = [
    'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHo',
    'st: x\r\n\r',
    '\nGET /3 HTTP/1.1\r',
    '\nHost: x\r\n',
    '\r',
    '\nGET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ]
  for (const piece of pieces) {
    socket.write(piece)
    await sleep(20)
  }
  await closed
  assert.deepEqual(
    [...out.matchAll(/\r\n\r\n(\/\d)/g)].map((m) => m[1]),
    ['/1', '/2', '/3', '/4'],
  )
})

test('refused() gets the time from the first byte of the refused head', async (t) => {
  const refused: [number, number][] = []
  const server: Server = createServer((socket) => {
    const handlers: Http1Handlers = {
      request: text(200, 'ok'),
      upgrade: () => false,
      refused: (status, _bodyBytes, durationMs) => refused.push([status, durationMs]),
    }
    new Http1Connection(socket, handlers, LIMITS)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const port = (server.address() as AddressInfo).port

  // A head that never ends: 408 after the header timeout, counted from its first byte.
  assert.match(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n'), /^HTTP\/1\.1 408 /)
  // A head in two parts is served; the bad head after it, in one packet, took no time of its own.
  const socket = connect(port, '127.0.0.1')
  let out = ''
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')))
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n')
  await new Promise((r) => setTimeout(r, 150))
  socket.write('\r\n')
  while (!out.endsWith('ok')) await once(socket, 'data')
  socket.write('NOT HTTP\r\n\r\n')
  await once(socket, 'close')
  assert.match(out, /HTTP\/1\.1 400 /)

  assert.deepEqual(
    refused.map(([status]) => status),
    [408, 400],
  )
  const [[, timedOut], [, bad]] = refused as [[number, number], [number, number]]
  assert.ok(timedOut >= LIMITS.headerTimeoutMs - 5, `408 after ${timedOut} ms`)
  assert.ok(bad < 100, `400 after ${bad} ms, not from the head before it`)
})
