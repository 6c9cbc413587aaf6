/**
 * A request body that stalls (RFC 9110 §15.5.9): over raw TLS through the proxy, the client is
 * answered 408 once no body byte came for `server.body_timeout`, and the upstream request the body
 * was streaming into is aborted rather than held open.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { h2Session } from '../helpers/h2-websocket.js'
import {
  deadPort,
  proxyRoute,
  rawTls,
  site,
  startProxy,
  type ProxyFixture,
} from '../helpers/proxy-fixture.js'

const BODY_TIMEOUT_MS = 300

describe('proxy: a stalled request body', () => {
  let upstream: Server
  let proxy: ProxyFixture
  /** What the upstream saw of each request: whether its body arrived whole before it closed. */
  const requests: { url: string; received: number; complete?: boolean }[] = []

  before(async () => {
    upstream = createServer((req: IncomingMessage, res) => {
      const seen: (typeof requests)[number] = { url: req.url ?? '', received: 0 }
      requests.push(seen)
      req.on('data', (d: Buffer) => (seen.received += d.length))
      req.on('end', () => res.end(`ok ${seen.received}`))
      // An upstream slow to take the upload: the proxy's reader fills, the client is held back.
      if (req.url?.startsWith('/slow-reader') === true) {
        req.pause()
        setTimeout(() => req.resume(), 4 * BODY_TIMEOUT_MS)
      }
      req.on('close', () => (seen.complete = req.complete))
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    // Room for the 32 MiB upload below (the default limit is 10 MiB).
    const route = proxyRoute([url], { maxBodyBytes: 64 * 1024 * 1024 })
    // One upstream, ejected at its first failure: the request after it is answered 502 at once.
    const dead = proxyRoute([`http://127.0.0.1:${await deadPort()}`], {
      path: '/dead',
      retries: 0,
      passiveHealth: { maxFails: 1, failWindowMs: 60_000, ejectMs: 60_000 },
    })
    proxy = await startProxy([site(['app.test'], [dead, route])], {
      limits: { bodyTimeoutMs: BODY_TIMEOUT_MS },
    })
  })
  after(async () => {
    await proxy?.close()
    upstream?.closeAllConnections()
    await new Promise((r) => upstream?.close(r))
  })

  test('408 to the client and the upstream request aborted', async () => {
    const started = Date.now()
    const { text, closed } = await rawTls(
      proxy.port,
      'app.test',
      'POST /stalled HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000\r\n\r\n0123456789',
      proxy.rootPem,
      5_000,
    )
    assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/)
    assert.match(text, /connection: close\r\n/i)
    assert.equal(closed, true, 'the connection is closed')
    assert.ok(Date.now() - started >= BODY_TIMEOUT_MS - 20, 'not before the bound')
    await assertCutOffUpstream('/stalled')
    // The access log says what the client was sent, not 0 (which means it went away first).
    const line = proxy.log.find((e) => e.path === '/stalled')
    const body = text.slice(text.indexOf('\r\n\r\n') + 4)
    assert.deepEqual([line?.status, line?.bytes], [408, Buffer.byteLength(body)])
  })

  /** The upstream got the `bytes` the client sent of `url`'s body, then saw its request cut off. */
  async function assertCutOffUpstream(url: string, bytes = 10): Promise<void> {
    const deadline = Date.now() + 3_000
    const seen = (): (typeof requests)[number] | undefined => requests.find((r) => r.url === url)
    while (seen()?.complete === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10))
    assert.equal(seen()?.received, bytes, 'the upstream had the bytes that came')
    assert.equal(seen()?.complete, false, 'the upstream request was cut off, not completed')
  }

  /** An HTTP/2 request to the proxy: its status, body, and how the stream ended. */
  async function h2Post(
    path: string,
    send: (stream: ClientHttp2Stream) => Promise<void>,
  ): Promise<H2Answer> {
    const { session } = await h2Session(proxy.port, 'app.test', proxy.rootPem)
    try {
      return await postOn(session, path, send)
    } finally {
      session.destroy()
    }
  }

  test('HTTP/2: 408, the stream closed without error, and the upstream request aborted', async () => {
    const started = Date.now()
    const answer = await h2Post('/h2-stalled', async (stream) => {
      stream.write('0123456789')
      // Nothing more, never the end of the stream: the proxy must bound the wait.
    })
    assert.equal(answer.status, 408)
    assert.match(answer.body, /request body stalled: no byte for 300 ms/)
    // RFC 9113 §8.1: a complete answer, then RST_STREAM NO_ERROR asks the client to stop sending.
    assert.equal(answer.rstCode, 0)
    assert.ok(Date.now() - started >= BODY_TIMEOUT_MS - 20, 'not before the bound')
    await assertCutOffUpstream('/h2-stalled')
    const line = proxy.log.find((e) => e.path === '/h2-stalled')
    assert.deepEqual([line?.status, line?.bytes], [408, Buffer.byteLength(answer.body)])
  })

  test('HTTP/2: a client held back by the upstream, then silent, is bounded once the upstream reads', async () => {
    const started = Date.now()
    const size = 8 * 1024 * 1024
    const answer = await h2Post('/slow-reader-stalled', async (stream) => {
      // More than the buffers on the way hold: flow control holds the client back while the
      // upstream reads nothing (4× the bound). Then nothing more, never the end of the stream.
      stream.write(Buffer.alloc(size, 0x61))
      // Without a bound once the upstream reads again, the stream would stay open: give up here.
      const guard = setTimeout(() => stream.close(), 4 * BODY_TIMEOUT_MS + 5_000)
      stream.once('close', () => clearTimeout(guard))
    })
    const elapsed = Date.now() - started
    assert.equal(answer.status, 408, `answered ${answer.status} after ${elapsed} ms`)
    assert.match(answer.body, /request body stalled: no byte for 300 ms/)
    assert.ok(elapsed >= 4 * BODY_TIMEOUT_MS, `not while held back (${elapsed} ms)`)
    await assertCutOffUpstream('/slow-reader-stalled', size)
  })

  test('HTTP/2: a body never handed upstream (no healthy upstream) stalls harmlessly', async () => {
    const first = await h2Post('/dead/a', async (stream) => void stream.end('x'))
    assert.equal(first.status, 502)
    // Answered 502 without an attempt; the client leaves its upload open past the bound. The
    // stall of a body nobody took must not be an 'error' nobody listens to (the process would end).
    const second = await h2Post('/dead/b', async (stream) => {
      stream.write('0123456789')
      await new Promise((r) => setTimeout(r, 3 * BODY_TIMEOUT_MS))
      stream.close()
    })
    assert.equal(second.status, 502)
    assert.match(second.body, /no healthy upstream/)
  })

  test('HTTP/2: a stream held back by the upstream does not stall another one of its session', async () => {
    const { session } = await h2Session(proxy.port, 'app.test', proxy.rootPem)
    try {
      const post = (path: string, send: (s: ClientHttp2Stream) => Promise<void>) =>
        postOn(session, path, send)
      const size = 8 * 1024 * 1024
      const held = post('/slow-reader', async (s) => void s.end(Buffer.alloc(size, 0x61)))
      await new Promise((r) => setTimeout(r, 50))
      const trickled = post('/h2-trickle-2', async (stream) => {
        for (let i = 0; i < 6; i++) {
          stream.write('0123456789')
          await new Promise((r) => setTimeout(r, BODY_TIMEOUT_MS / 2))
        }
        stream.end()
      })
      const [a, b] = await Promise.all([held, trickled])
      assert.deepEqual([b.status, b.body], [200, 'ok 60'])
      assert.deepEqual([a.status, a.body], [200, `ok ${size}`])
    } finally {
      session.destroy()
    }
  })

  test('HTTP/2: pauses shorter than the bound, and a full reader upstream, are not a stall', async () => {
    const trickled = await h2Post('/h2-trickle', async (stream) => {
      for (let i = 0; i < 6; i++) {
        stream.write('0123456789')
        await new Promise((r) => setTimeout(r, BODY_TIMEOUT_MS / 2))
      }
      stream.end()
    })
    assert.deepEqual([trickled.status, trickled.body], [200, 'ok 60'])
    // 32 MiB into an upstream that reads nothing for 4× the bound: the client is held back by
    // flow control the whole time, through no fault of its own.
    const size = 32 * 1024 * 1024
    const held = await h2Post('/slow-reader', async (stream) => {
      stream.end(Buffer.alloc(size, 0x61))
    })
    assert.deepEqual([held.status, held.body, held.rstCode], [200, `ok ${size}`, 0])
  })
})

interface H2Answer {
  status: number
  body: string
  rstCode: number
}

/** A POST on `session`: `send` writes its body; resolves once the stream has closed. */
async function postOn(
  session: ClientHttp2Session,
  path: string,
  send: (stream: ClientHttp2Stream) => Promise<void>,
): Promise<H2Answer> {
  const stream = session.request({ ':method': 'POST', ':path': path })
  let status = 0
  let body = ''
  stream.on('response', (h) => (status = Number(h[':status'])))
  stream.on('data', (d: Buffer) => (body += d.toString()))
  stream.on('error', () => {})
  const closed = new Promise<void>((r) => stream.once('close', r))
  await send(stream)
  await closed
  return { status, body, rstCode: stream.rstCode ?? 0 }
}
