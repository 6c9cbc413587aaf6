/**
 * Slow-loris: 2,000 TLS connections trickle a request head that never ends. The header timeout
 * (60 s here) closes each of them with 408, and a normal client keeps getting answers in
 * the meantime.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:https'
import { connect, type TLSSocket } from 'node:tls'
import {
  proxyRoute,
  site,
  startProxy,
  startUpstream,
  type ProxyFixture,
  type Upstream,
} from '../helpers/proxy-fixture.js'

const SLOW = 2_000
// Long enough that all 2,000 are open at once on a loaded, shared machine (opening them took 20-40 s
// on a 2-core box running other builds).
const HEADER_TIMEOUT_MS = 60_000

interface Slow {
  socket: TLSSocket
  text: string
  closedAt: number | undefined
  openedAt: number
}

/** The slow clients resume one TLS session and skip verification: cheap handshakes, many of them. */
let session: Buffer | undefined

function openSlow(port: number): Promise<Slow> {
  return new Promise((resolve) => {
    const slow: Slow = {
      socket: undefined as unknown as TLSSocket,
      text: '',
      closedAt: undefined,
      openedAt: 0,
    }
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        servername: 'app.test',
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
        ...(session ? { session } : {}),
      },
      () => {
        slow.openedAt = Date.now()
        socket.write('GET / HTTP/1.1\r\nHost: app.test\r\n')
        resolve(slow)
      },
    )
    slow.socket = socket
    socket.once('session', (s: Buffer) => (session ??= s))
    socket.on('data', (d: Buffer) => (slow.text += d.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => {
      slow.closedAt = Date.now()
      resolve(slow)
    })
  })
}

function timedGet(port: number, ca: string): Promise<{ status: number; ms: number }> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        servername: 'app.test',
        ca,
        path: '/normal',
        headers: { host: 'app.test' },
        agent: false,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }))
      },
    )
    req.setTimeout(15_000, () => req.destroy(new Error('normal request timed out')))
    req.on('error', reject)
    req.end()
  })
}

describe('proxy: slow-loris', () => {
  let upstream: Upstream
  let proxy: ProxyFixture
  const slows: Slow[] = []
  before(async () => {
    upstream = await startUpstream()
    proxy = await startProxy([site(['app.test'], [proxyRoute([upstream.url])])], {
      limits: { headerTimeoutMs: HEADER_TIMEOUT_MS },
    })
  })
  after(async () => {
    for (const s of slows) s.socket.destroy()
    await proxy?.close()
    await upstream?.close()
  })

  test(`${SLOW} slow heads are cut off at the header timeout; a normal client is still served`, async () => {
    // Each slow connection sends one more field every 2 s, never the empty line.
    const drip = setInterval(() => {
      for (const s of slows)
        if (s.closedAt === undefined) s.socket.write(`X-Drip: ${Date.now()}\r\n`)
    }, 2_000)
    const normal: { status: number; ms: number }[] = []
    try {
      // A window of 200 handshakes in flight; a normal request every 500 slow connections.
      let next = 0
      const opener = async (): Promise<void> => {
        while (next < SLOW) {
          next++
          slows.push(await openSlow(proxy.port))
          if (slows.length % 500 === 0) normal.push(await timedGet(proxy.port, proxy.rootPem))
        }
      }
      await Promise.all(Array.from({ length: 200 }, opener))
      const openedIn = Date.now() - (slows[0]?.openedAt ?? 0)
      const together = slows.filter((s) => s.closedAt === undefined).length
      // All of them at once, or the test would not be testing 2,000 slow connections.
      assert.equal(together, SLOW, `only ${together} open together (opening took ${openedIn} ms)`)
      for (let i = 0; i < 5; i++) normal.push(await timedGet(proxy.port, proxy.rootPem))
      // Every slow connection is closed within the header timeout plus the check interval and slack
      // for a loaded machine.
      const deadline = (slows.at(-1)?.openedAt ?? Date.now()) + HEADER_TIMEOUT_MS + 15_000
      while (slows.some((s) => s.closedAt === undefined) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200))
      }
    } finally {
      clearInterval(drip)
    }
    const open = slows.filter((s) => s.closedAt === undefined).length
    assert.equal(open, 0, `${open} slow connections still open`)
    const lived = slows.map((s) => (s.closedAt ?? 0) - s.openedAt)
    assert.ok(
      Math.min(...lived) >= HEADER_TIMEOUT_MS - 200,
      `one closed after ${Math.min(...lived)} ms`,
    )
    const answered = slows.filter((s) => s.text.startsWith('HTTP/1.1 408 ')).length
    assert.ok(answered > SLOW * 0.9, `${answered} of ${SLOW} got 408`)
    assert.ok(
      normal.every((n) => n.status === 200),
      JSON.stringify(normal),
    )
    // The bound is loose because the machine is shared; what matters is that answers keep coming.
    assert.ok(Math.max(...normal.map((n) => n.ms)) < 5_000, JSON.stringify(normal))
    assert.equal(
      upstream.seen.filter((s) => s.url === '/').length,
      0,
      'no slow head reached upstream',
    )
  })
})
