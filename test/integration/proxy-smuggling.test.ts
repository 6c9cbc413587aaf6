/**
 * Request smuggling (RFC 9112 §6.1, §6.3, §11.2; RFC 9110 §7.2): a corpus of malformed and ambiguous
 * requests sent over raw TLS. Each is refused with the status given, or forwarded in a normalised
 * form; a recording upstream reads everything it received with a strict parser of its own and must
 * find nothing ambiguous, and no refused request may reach it at all.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createHttpServer, type Server } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import {
  proxyRoute,
  rawTls,
  site,
  startProxy,
  type ProxyFixture,
} from '../helpers/proxy-fixture.js'
import { readUpstreamStream } from '../helpers/strict-http.js'
import { CORPUS, type Case } from './proxy-smuggling-corpus.js'

/** A TCP recorder in front of a node:http upstream answering `ok` to everything. */
async function startRecordingUpstream(): Promise<{
  url: string
  streams: string[]
  close(): Promise<void>
}> {
  const streams: string[] = []
  const inner: Server = createHttpServer((req, res) => {
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  await new Promise<void>((r) => inner.listen(0, '127.0.0.1', r))
  const innerPort = (inner.address() as AddressInfo).port
  const sockets = new Set<import('node:net').Socket>()
  const outer = createNetServer((client) => {
    const index = streams.push('') - 1
    const upstream = connect(innerPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (d: Buffer) => {
      streams[index] += d.toString('latin1')
      upstream.write(d)
    })
    upstream.pipe(client)
  })
  await new Promise<void>((r) => outer.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(outer.address() as AddressInfo).port}`,
    streams,
    close: async () => {
      for (const s of sockets) s.destroy()
      inner.closeAllConnections()
      await Promise.all([
        new Promise<void>((r) => outer.close(() => r())),
        new Promise<void>((r) => inner.close(() => r())),
      ])
    },
  }
}

/** Final answers only: 100 Continue is interim (RFC 9110 §15.2). */
function final(list: number[]): number[] {
  return list.filter((s) => s >= 200)
}

function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))
}

describe('proxy: request smuggling corpus over raw TLS', () => {
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>
  let proxy: ProxyFixture
  const outcomes = new Map<string, { statuses: number[]; closed: boolean }>()

  before(async () => {
    upstream = await startRecordingUpstream()
    proxy = await startProxy([site(['app.test'], [proxyRoute([upstream.url])])], {
      limits: { maxUrlBytes: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100 },
    })
    // Twenty at a time: each case is marked by its own path, so they do not need to run alone. A
    // forwarded case is done once its answers are in (the connection stays open for more).
    for (let i = 0; i < CORPUS.length; i += 20) {
      await Promise.all(
        CORPUS.slice(i, i + 20).map(async (c) => {
          const answers = c.expect === 'ok' ? (c.forwarded ?? 1) : Infinity
          const done = (text: string): boolean =>
            text.endsWith('\r\n\r\nok') && final(statuses(text)).length >= answers
          const r = await rawTls(proxy.port, 'app.test', c.raw, proxy.rootPem, 3000, done)
          outcomes.set(c.id, { statuses: final(statuses(r.text)), closed: r.closed })
        }),
      )
    }
    // Let the last forwarded requests land upstream.
    await new Promise((r) => setTimeout(r, 200))
  })
  after(async () => {
    await proxy?.close()
    await upstream?.close()
  })

  test(`the corpus has at least 100 cases`, () => {
    assert.ok(CORPUS.length >= 100, `${CORPUS.length} cases`)
  })

  test('everything the upstream received reads one way only', () => {
    const problems = upstream.streams.flatMap((s) => readUpstreamStream(s).problems)
    assert.deepEqual(problems, [])
  })

  const reached = (c: Case): number =>
    upstream.streams
      .flatMap((s) => readUpstreamStream(s).requests)
      // A request whose body was cut off mid-way (the client's framing failed after forwarding began)
      // never completed upstream: it did not reach the application.
      .filter((r) => r.complete && r.target.includes(`/${c.id}`)).length

  for (const c of CORPUS) {
    test(`${c.id}: ${c.name} → ${c.expect === 'ok' ? 'forwarded, normalised' : c.expect}`, () => {
      const o = outcomes.get(c.id)
      assert.ok(o, 'no outcome')
      if (c.expect === 'ok') {
        assert.equal(o.statuses[0], 200, `answers: ${o.statuses.join(',')}`)
        assert.equal(reached(c), c.forwarded ?? 1)
        const seen = upstream.streams
          .flatMap((s) => readUpstreamStream(s).requests)
          .filter((r) => r.target.includes(`/${c.id}`))
        c.check?.(seen)
      } else if (c.expect === 'dropped') {
        assert.deepEqual(o.statuses, [])
        assert.equal(o.closed, true)
        assert.equal(reached(c), 0)
      } else {
        assert.equal(o.statuses[0], c.expect, `answers: ${o.statuses.join(',')}`)
        assert.equal(reached(c), c.forwarded ?? 0)
        if (c.expect !== 421) assert.equal(o.closed, true, 'connection closed')
      }
    })
  }
})
