/**
 * WebSockets and the upstreams of their route, over HTTP/1.1 (Upgrade) and HTTP/2 (RFC 8441), with
 * real `ws` upstreams: cookie stickiness (the handshake's answer pins the client as an HTTP answer
 * does, and a sticky cookie is followed), and connect failures (retried on another upstream and
 * counted by passive health, as for an idempotent request).
 */
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'node:https'
import type { ClientHttp2Session } from 'node:http2'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { WebSocket } from 'ws'
import { h2Session, openH2WebSocket } from '../helpers/h2-websocket.js'
import {
  deadPort,
  proxyRoute,
  site,
  startProxy,
  type ProxyFixture,
} from '../helpers/proxy-fixture.js'
import type { ProxyRoute } from '../../src/proxy/types.js'
import { startWsServer } from '../helpers/ws-server.js'

/** An upstream answering plain requests with its name and greeting each WebSocket with it. */
async function namedUpstream(t: TestContext, name: string): Promise<string> {
  const { wss, port } = await startWsServer(t, {}, (_req, res) => res.end(name))
  wss.on('connection', (ws) => ws.send(name))
  return `http://127.0.0.1:${port}`
}

/** What a client got: the status, the Set-Cookie fields, and the body or the WebSocket's greeting. */
interface Answer {
  status: number
  setCookie: string[]
  text: string | undefined
}

/** A plain GET and a WebSocket handshake through the proxy, over one protocol. */
interface Client {
  get(path: string, cookie?: string): Promise<Answer>
  webSocket(path: string, cookie?: string): Promise<Answer>
}

const PROTOCOLS = ['1.1', '2'] as const

/** `count` WebSocket handshakes on `/ws` one after another: each one's status and upstream. */
async function handshakes(client: Client, count: number): Promise<[number, string | undefined][]> {
  const answers: [number, string | undefined][] = []
  for (let i = 0; i < count; i++) {
    const ws = await client.webSocket('/ws')
    answers.push([ws.status, ws.text])
  }
  return answers
}

async function clientFor(
  t: TestContext,
  proxy: ProxyFixture,
  proto: (typeof PROTOCOLS)[number],
): Promise<Client> {
  if (proto === '1.1') return http1Client(proxy)
  const { session } = await h2Session(proxy.port, 'app.test', proxy.rootPem)
  t.after(() => session.destroy())
  return http2Client(session, `app.test:${proxy.port}`)
}

const lookup = ((_name: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
  opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never

function http1Client(proxy: ProxyFixture): Client {
  const cookieHeader = (cookie?: string): Record<string, string> =>
    cookie === undefined ? {} : { cookie }
  return {
    get: (path, cookie) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: proxy.port,
            servername: 'app.test',
            path,
            ca: proxy.rootPem,
            agent: false,
            headers: { host: `app.test:${proxy.port}`, ...cookieHeader(cookie) },
          },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (chunk: string) => (text += chunk))
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                setCookie: res.headers['set-cookie'] ?? [],
                text,
              }),
            )
          },
        )
        req.on('error', reject)
        req.end()
      }),
    webSocket: (path, cookie) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`wss://app.test:${proxy.port}${path}`, {
          ca: proxy.rootPem,
          lookup,
          headers: cookieHeader(cookie),
        })
        let headers: IncomingHttpHeaders = {}
        ws.once('upgrade', (res) => (headers = res.headers))
        // The greeting can arrive in the same read as the 101: listen from the start.
        ws.once('message', (data: Buffer) => {
          resolve({ status: 101, setCookie: headers['set-cookie'] ?? [], text: data.toString() })
          ws.terminate()
        })
        ws.once('unexpected-response', (_req, res) => {
          resolve({ status: res.statusCode ?? 0, setCookie: [], text: undefined })
          ws.terminate()
        })
        ws.once('error', (err) => reject(err))
      }),
  }
}

function http2Client(session: ClientHttp2Session, authority: string): Client {
  return {
    get: (path, cookie) =>
      new Promise((resolve, reject) => {
        const stream = session.request({
          ':path': path,
          ':authority': authority,
          ...(cookie === undefined ? {} : { cookie }),
        })
        let text = ''
        let status = 0
        let setCookie: string[] = []
        stream.setEncoding('utf8')
        stream.on('response', (headers) => {
          status = Number(headers[':status'])
          setCookie = headers['set-cookie'] ?? []
        })
        stream.on('data', (chunk: string) => (text += chunk))
        stream.on('end', () => resolve({ status, setCookie, text }))
        stream.on('error', reject)
      }),
    webSocket: async (path, cookie) => {
      const ws = await openH2WebSocket(
        session,
        authority,
        path,
        cookie === undefined ? {} : { cookie },
      )
      const setCookie = ws.headers['set-cookie'] ?? []
      const text = ws.status === 200 ? (await ws.next()).payload.toString() : undefined
      ws.stream.close()
      return { status: ws.status, setCookie, text }
    },
  }
}

async function proxyTo(t: TestContext, upstreams: string[], overrides: Partial<ProxyRoute> = {}) {
  const proxy = await startProxy([
    site(['app.test'], [proxyRoute(upstreams, { path: '/ws', ...overrides })]),
  ])
  t.after(() => proxy.close())
  return proxy
}

/** The sticky cookie's value in a Set-Cookie field. */
function idIn(setCookie: string): string {
  const m = /^gatehouse_upstream=([^;]*);/.exec(setCookie)
  assert.ok(m, setCookie)
  return m[1] as string
}

for (const proto of PROTOCOLS) {
  const switched = proto === '2' ? 200 : 101

  test(`HTTP/${proto}: with lb = "cookie", a handshake's answer sets the sticky cookie an HTTP answer would, and a WebSocket follows a valid one`, async (t) => {
    const urls = [await namedUpstream(t, 'A'), await namedUpstream(t, 'B')]
    const proxy = await proxyTo(t, urls, { loadBalancing: 'cookie' })
    const client = await clientFor(t, proxy, proto)

    // Plain requests without a cookie: round robin over both, each answer pinning to its upstream.
    const pinning = new Map<string, string>()
    for (let i = 0; i < 2; i++) {
      const answer = await client.get('/ws/page')
      assert.equal(answer.status, 200)
      assert.equal(answer.setCookie.length, 1, `one Set-Cookie on ${answer.text}`)
      pinning.set(answer.text ?? '', answer.setCookie[0] as string)
    }
    assert.deepEqual([...pinning.keys()].sort(), ['A', 'B'])
    // Served over HTTPS only: the cookie must never travel in clear (RFC 6265 §4.1.2.5).
    for (const cookie of pinning.values())
      assert.match(cookie, /^gatehouse_upstream=[^;]+; Path=\/ws; HttpOnly; SameSite=Lax; Secure$/)

    const first = await client.webSocket('/ws/chat')
    assert.equal(first.status, switched)
    assert.deepEqual(first.setCookie, [pinning.get(first.text ?? '')], `greeted by ${first.text}`)

    for (const name of ['A', 'B']) {
      const cookie = `theme=dark; gatehouse_upstream=${idIn(pinning.get(name) as string)}`
      for (let i = 0; i < 3; i++) {
        const pinned = await client.webSocket('/ws/chat', cookie)
        assert.deepEqual([pinned.status, pinned.text], [switched, name])
        assert.deepEqual(pinned.setCookie, [], 'a valid cookie is not set again')
      }
    }

    // A cookie naming no upstream is replaced, as on an HTTP answer.
    const stale = await client.webSocket('/ws/chat', 'gatehouse_upstream=gone')
    assert.equal(stale.status, switched)
    assert.deepEqual(stale.setCookie, [pinning.get(stale.text ?? '')])
  })

  test(`HTTP/${proto}: a WebSocket whose upstream refuses the connection is retried on the next one`, async (t) => {
    const live = await namedUpstream(t, 'live')
    const proxy = await proxyTo(t, [`http://127.0.0.1:${await deadPort()}`, live])
    const client = await clientFor(t, proxy, proto)
    assert.deepEqual(await handshakes(client, 6), Array(6).fill([switched, 'live']))
  })

  test(`HTTP/${proto}: TLS failures to an https upstream are retried and eject it (passive health)`, async (t) => {
    // Accepts TCP and drops it at once: every TLS handshake fails before a byte of the request.
    let accepted = 0
    const dropper = createNetServer((socket) => {
      accepted++
      socket.resetAndDestroy()
    })
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => dropper.close(() => resolve())))
    const dropperUrl = `https://127.0.0.1:${(dropper.address() as AddressInfo).port}`
    const live = await namedUpstream(t, 'live')
    const proxy = await proxyTo(t, [dropperUrl, live], {
      passiveHealth: { maxFails: 2, failWindowMs: 60_000, ejectMs: 60_000 },
    })
    const client = await clientFor(t, proxy, proto)
    assert.deepEqual(await handshakes(client, 8), Array(8).fill([switched, 'live']))
    // Round robin offers it every other handshake until two failures have ejected it.
    assert.equal(accepted, 2, 'the dropping upstream is not tried once ejected')
  })
}
