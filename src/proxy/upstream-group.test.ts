import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { test, type TestContext } from 'node:test'
import type { LogFields, Logger } from '../logger.js'
import { FakeClock } from '../testing/fake-clock.js'
import { eventually, listen, proxyRoute, stop } from './upstream-fixtures.test.helper.js'
import { UpstreamGroup, type Upstream } from './upstream-group.js'
import type { ProxyRoute } from './types.js'

/** Upstream URLs nothing is ever sent to (pick does not connect). */
const URLS = ['http://10.0.0.1:8080', 'http://10.0.0.2:8080', 'http://10.0.0.3:8080']

function group(t: TestContext, overrides: Partial<ProxyRoute>, options = {}): UpstreamGroup {
  const g = new UpstreamGroup(
    proxyRoute({ upstreams: URLS.map((url) => ({ url })), ...overrides }),
    options,
  )
  t.after(() => g.close())
  return g
}

const pickLabel = (g: UpstreamGroup, clientIp = '192.0.2.1'): string | undefined =>
  g.pick({ clientIp })?.upstream.label

/** Servers answering their own number, started for a test and stopped after it. */
async function numberedServers(t: TestContext, n: number): Promise<string[]> {
  const urls: string[] = []
  for (let i = 0; i < n; i++) {
    const server = createServer((_req, res) => res.end(String(i)))
    urls.push(`http://127.0.0.1:${await listen(server)}`)
    t.after(() => stop(server))
  }
  return urls
}

async function get(upstream: Upstream, path = '/'): Promise<{ status: number; body: string }> {
  const res = await upstream.dispatcher.request({
    origin: upstream.url.origin,
    path,
    method: 'GET',
  })
  return { status: res.statusCode, body: await res.body.text() }
}

test('round robin sends requests to each real upstream in turn', async (t) => {
  const urls = await numberedServers(t, 3)
  const g = new UpstreamGroup(proxyRoute({ upstreams: urls.map((url) => ({ url })) }))
  t.after(() => g.close())
  const bodies: string[] = []
  for (let i = 0; i < 9; i++) {
    const pick = g.pick({ clientIp: '127.0.0.1' })
    assert.ok(pick)
    assert.equal(pick.setCookie, undefined)
    bodies.push((await get(pick.upstream)).body)
  }
  assert.deepEqual(bodies, ['0', '1', '2', '0', '1', '2', '0', '1', '2'])
  assert.deepEqual(
    g.upstreams.map((u) => u.label),
    urls,
  )
})

test('labels are origins, URLs keep the base path, bad URLs are refused', (t) => {
  const g = group(t, {
    upstreams: [{ url: 'http://127.0.0.1:8080/api/' }, { url: 'https://app.internal' }],
  })
  assert.deepEqual(
    g.upstreams.map((u) => [u.label, u.url.pathname]),
    [
      ['http://127.0.0.1:8080', '/api/'],
      ['https://app.internal', '/'],
    ],
  )
  assert.throws(
    () => new UpstreamGroup(proxyRoute({ upstreams: [{ url: 'ftp://x' }] })),
    /use http/,
  )
  assert.throws(
    () => new UpstreamGroup(proxyRoute({ upstreams: [{ url: '127.0.0.1:80' }] })),
    /scheme|URL/,
  )
  assert.throws(
    () => new UpstreamGroup(proxyRoute({ upstreams: [{ url: 'http://u:p@x' }] })),
    /credentials/,
  )
  assert.throws(() => new UpstreamGroup(proxyRoute({ upstreams: [] })), /no upstream/)
})

test('least connections follows begin/end counts', (t) => {
  const g = group(t, { loadBalancing: 'least_conn' })
  const [a, b, c] = g.upstreams as [Upstream, Upstream, Upstream]
  g.begin(a)
  g.begin(a)
  g.begin(b)
  assert.equal(a.active, 2)
  assert.equal(pickLabel(g), c.label)
  g.begin(c)
  g.begin(c)
  assert.equal(pickLabel(g), b.label)
  g.end(a)
  g.end(a)
  g.end(a) // one end too many does not go below zero
  assert.equal(a.active, 0)
  assert.equal(pickLabel(g), a.label)
})

test('random of two uses the injected randomness and the active counts', (t) => {
  const values = [0.0, 0.99]
  let i = 0
  const g = group(t, { loadBalancing: 'random_two' }, { random: () => values[i++ % 2] as number })
  const [a, , c] = g.upstreams as [Upstream, Upstream, Upstream]
  // Draws a then c; equal load takes the first drawn.
  assert.equal(pickLabel(g), a.label)
  g.begin(a)
  assert.equal(pickLabel(g), c.label)
})

test('ip hash keeps a client on its upstream, and only the clients of an ejected one move', (t) => {
  const clock = new FakeClock()
  const g = group(
    t,
    { loadBalancing: 'ip_hash', passiveHealth: { maxFails: 1, failWindowMs: 1000, ejectMs: 5000 } },
    { clock },
  )
  const ips = Array.from({ length: 300 }, (_, k) => `203.0.113.${k % 256}`).map(
    (ip, k) => `${ip}${k >= 256 ? '1' : ''}`,
  )
  const before = ips.map((ip) => pickLabel(g, ip))
  assert.deepEqual(
    ips.map((ip) => pickLabel(g, ip)),
    before,
  )
  const counts = URLS.map((url) => before.filter((l) => l === url).length)
  assert.ok(
    counts.every((n) => n > 60),
    `spread ${counts}`,
  )
  const ejected = g.upstreams[1] as Upstream
  g.reportFailure(ejected, new Error('refused'))
  assert.equal(ejected.healthy, false)
  ips.forEach((ip, k) => {
    const now = pickLabel(g, ip)
    if (before[k] === ejected.label) assert.notEqual(now, ejected.label)
    else assert.equal(now, before[k], ip)
  })
})

test('cookie stickiness: first visit is pinned with Set-Cookie, then stays; a gone upstream re-pins', (t) => {
  const clock = new FakeClock()
  const g = group(
    t,
    {
      loadBalancing: 'cookie',
      stickyCookie: 'gh',
      path: '/app',
      passiveHealth: { maxFails: 1, failWindowMs: 1000, ejectMs: 5000 },
    },
    { clock },
  )
  const first = g.pick({ clientIp: '192.0.2.1', secure: true })
  assert.ok(first?.setCookie)
  const match = /^gh=([A-Za-z0-9_-]{16}); Path=\/app; HttpOnly; SameSite=Lax; Secure$/.exec(
    first.setCookie,
  )
  assert.ok(match, first.setCookie)
  assert.ok(!first.setCookie.includes('10.0.0'), 'the cookie does not show the address')
  const cookie = `other=1; gh=${match[1]}`
  for (let k = 0; k < 5; k++) {
    const again = g.pick({ clientIp: `192.0.2.${k + 10}`, cookie })
    assert.equal(again?.upstream, first.upstream)
    assert.equal(again?.setCookie, undefined)
  }
  // A retry excludes the pinned upstream: another one, and the client is pinned to it.
  const retry = g.pick({ clientIp: '192.0.2.1', cookie, exclude: new Set([first.upstream]) })
  assert.ok(retry && retry.upstream !== first.upstream && retry.setCookie)
  // An unknown id is treated as a first visit.
  assert.ok(g.pick({ clientIp: '192.0.2.1', cookie: 'gh=forged' })?.setCookie)
  // Ejected: moved and re-pinned, without Secure when the request was not over TLS.
  g.reportFailure(first.upstream, new Error('reset'))
  const moved = g.pick({ clientIp: '192.0.2.1', cookie })
  assert.ok(moved && moved.upstream !== first.upstream)
  assert.match(moved.setCookie ?? '', /^gh=[^;]+; Path=\/app; HttpOnly; SameSite=Lax$/)
})

test('passive health ejects after maxFails failures and brings the upstream back after ejectMs', async (t) => {
  const clock = new FakeClock()
  const lines: Array<[string, LogFields | undefined]> = []
  const logger: Logger = {
    debug: () => {},
    info: (msg, f) => lines.push([msg, f]),
    warn: (msg, f) => lines.push([msg, f]),
    error: () => {},
  }
  const g = group(
    t,
    { passiveHealth: { maxFails: 2, failWindowMs: 10_000, ejectMs: 30_000 } },
    { clock, logger },
  )
  const [a, b, c] = g.upstreams as [Upstream, Upstream, Upstream]
  g.reportFailure(a, new Error('refused'))
  assert.equal(a.healthy, true)
  g.reportFailure(a, new Error('refused'))
  assert.equal(a.healthy, false)
  assert.equal(lines[0]?.[0], 'upstream ejected')
  assert.equal(lines[0]?.[1]?.['upstream'], a.label)
  const picked = new Set(Array.from({ length: 10 }, () => pickLabel(g)))
  assert.deepEqual([...picked].sort(), [b.label, c.label])
  await clock.advance(29_999)
  assert.equal(a.healthy, false)
  await clock.advance(1)
  assert.equal(a.healthy, true)
  assert.ok(Array.from({ length: 3 }, () => pickLabel(g)).includes(a.label))
  // Everyone out: no pick, the proxy answers 502.
  for (const u of [a, b, c]) {
    g.reportFailure(u, new Error('x'))
    g.reportFailure(u, new Error('x'))
  }
  assert.equal(g.pick({ clientIp: '192.0.2.1' }), undefined)
  // Excluding every healthy upstream also leaves none.
  await clock.advance(30_000)
  assert.equal(g.pick({ clientIp: '192.0.2.1', exclude: new Set([a, b, c]) }), undefined)
  // A success in between resets the count.
  g.reportFailure(b, new Error('x'))
  g.reportSuccess(b)
  g.reportFailure(b, new Error('x'))
  assert.equal(b.healthy, true)
})

/** A logger counting the active checks done, for tests to wait on. */
function checkCounter(): { logger: Logger; checks: () => number } {
  let checks = 0
  const count = (msg: string): void => {
    if (msg === 'upstream checked') checks++
  }
  return { logger: { debug: count, info: count, warn: count, error: count }, checks: () => checks }
}

/** An upstream whose /health status the test sets; `hold` keeps checks waiting until released. */
async function healthServer(t: TestContext): Promise<{
  url: string
  status: { value: number }
  requests: () => number
  hold: { value: boolean }
  release: () => void
}> {
  const status = { value: 200 }
  const hold = { value: false }
  let count = 0
  const waiting: ServerResponse[] = []
  const server = createServer((req: IncomingMessage, res) => {
    assert.equal(req.url, '/healthz')
    count++
    if (hold.value) waiting.push(res)
    else res.writeHead(status.value).end('ok')
  })
  const port = await listen(server)
  t.after(() => stop(server))
  return {
    url: `http://127.0.0.1:${port}`,
    status,
    hold,
    requests: () => count,
    release: () => {
      for (const res of waiting.splice(0)) res.writeHead(status.value).end()
    },
  }
}

test('active checks mark an upstream unhealthy after a failed check and healthy after a passing one', async (t) => {
  const upstream = await healthServer(t)
  const clock = new FakeClock()
  const route = proxyRoute({
    upstreams: [{ url: upstream.url }],
    healthCheck: { path: '/healthz', intervalMs: 10_000, timeoutMs: 2_000, expectStatus: 200 },
  })
  const { logger, checks } = checkCounter()
  const g = new UpstreamGroup(route, { clock, logger })
  t.after(() => g.close())
  const u = g.upstreams[0] as Upstream
  g.start()
  g.start() // a second start does not double the checks
  await eventually(() => checks() === 1, 'the first check')
  assert.equal(upstream.requests(), 1)
  assert.equal(u.healthy, true)
  upstream.status.value = 503
  await clock.advance(9_999)
  assert.equal(checks(), 1, 'no check before the interval')
  await clock.advance(1)
  await eventually(() => checks() === 2, 'the second check')
  assert.equal(u.healthy, false)
  assert.equal(upstream.requests(), 2)
  assert.equal(g.pick({ clientIp: '127.0.0.1' }), undefined)
  upstream.status.value = 200
  await clock.advance(10_000)
  await eventually(() => checks() === 3, 'the third check')
  assert.equal(u.healthy, true)
  assert.equal(upstream.requests(), 3)
})

test('a check that times out fails, and checks never overlap', async (t) => {
  const upstream = await healthServer(t)
  const clock = new FakeClock()
  const route = proxyRoute({
    upstreams: [{ url: upstream.url }],
    healthCheck: { path: '/healthz', intervalMs: 1_000, timeoutMs: 5_000, expectStatus: 200 },
  })
  const g = new UpstreamGroup(route, { clock })
  t.after(() => g.close())
  const u = g.upstreams[0] as Upstream
  upstream.hold.value = true
  g.start()
  await eventually(() => upstream.requests() === 1, 'the first check')
  // Several intervals pass while the check hangs: no second check starts.
  await clock.advance(4_000)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(upstream.requests(), 1)
  assert.equal(u.healthy, true)
  await clock.advance(1_000)
  await eventually(() => !u.healthy, 'the timed-out check to fail')
  upstream.hold.value = false
  upstream.release()
  await clock.advance(1_000)
  await eventually(() => u.healthy, 'the next check to pass')
  assert.equal(upstream.requests(), 2)
})

test('close stops the checks', async (t) => {
  const upstream = await healthServer(t)
  const clock = new FakeClock()
  const counter = checkCounter()
  const g = new UpstreamGroup(
    proxyRoute({
      upstreams: [{ url: upstream.url }],
      healthCheck: { path: '/healthz', intervalMs: 1_000, timeoutMs: 500, expectStatus: 200 },
    }),
    { clock, logger: counter.logger },
  )
  g.start()
  await eventually(() => counter.checks() === 1, 'the first check')
  await g.close()
  assert.equal(clock.pending, 0)
  await clock.advance(10_000)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(upstream.requests(), 1)
})
