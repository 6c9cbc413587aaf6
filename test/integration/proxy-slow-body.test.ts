/**
 * A request body that stalls (RFC 9110 §15.5.9): over raw TLS through the proxy, the client is
 * answered 408 once no body byte came for `server.body_timeout`, and the upstream request the body
 * was streaming into is aborted rather than held open.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
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
      req.on('end', () => res.end('ok'))
      req.on('close', () => (seen.complete = req.complete))
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    proxy = await startProxy([site(['app.test'], [proxyRoute([url])])], {
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
    const deadline = Date.now() + 3_000
    const seen = (): (typeof requests)[number] | undefined =>
      requests.find((r) => r.url === '/stalled')
    while (seen()?.complete === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10))
    assert.equal(seen()?.received, 10, 'the upstream had the bytes that came')
    assert.equal(seen()?.complete, false, 'the upstream request was cut off, not completed')
  })
})
