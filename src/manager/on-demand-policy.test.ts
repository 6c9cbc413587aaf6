import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeClock } from '../testing/fake-clock.js'
import { OnDemandPolicy } from './on-demand-policy.js'

/** A real ask endpoint on loopback; `answer` decides each reply; `asked` lists the `domain` values. */
async function askServer(
  t: TestContext,
  answer: (domain: string, res: ServerResponse, req: IncomingMessage) => void,
): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = []
  const server = createServer((req, res) => {
    const domain = new URL(req.url ?? '/', 'http://x').searchParams.get('domain') ?? ''
    asked.push(domain)
    answer(domain, res, req)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/check?x=1`, asked }
}

const allowOk = (domain: string, res: ServerResponse): void => {
  res.writeHead(domain.startsWith('ok.') ? 200 : 403).end()
}

test('policy: garbage SNI, wildcards and IP-looking junk never reach the ask endpoint', async (t) => {
  const ask = await askServer(t, allowOk)
  const policy = new OnDemandPolicy({ ask: ask.url }, new FakeClock(0))
  for (const bad of [
    'exa mple.com',
    '*.example.com',
    'a..example.com',
    'x',
    '-a.example.com',
    'a_b.example.com',
    '',
  ]) {
    const v = await policy.check(bad)
    assert.equal(v.allowed, false, bad)
    assert.equal(v.kind, 'invalid', bad)
  }
  assert.deepEqual(ask.asked, [])
})

test('policy: ask answers are cached for their TTL (allow and deny), then asked again', async (t) => {
  const ask = await askServer(t, allowOk)
  const clock = new FakeClock(0)
  const policy = new OnDemandPolicy({ ask: ask.url, allowTtlMs: 60_000, denyTtlMs: 10_000 }, clock)
  const first = await policy.check('OK.Example.com')
  assert.deepEqual(
    [first.allowed, first.fresh, first.identifier?.value],
    [true, true, 'ok.example.com'],
  )
  assert.match(first.reason, /ask answered 200/)
  const denied = await policy.check('no.example.com')
  assert.deepEqual([denied.allowed, denied.kind], [false, 'denied'])
  assert.match(denied.reason, /ask answered 403/)
  for (let i = 0; i < 3; i++) {
    assert.equal((await policy.check('ok.example.com')).fresh, false)
    assert.equal((await policy.check('no.example.com')).allowed, false)
  }
  assert.deepEqual(ask.asked, ['ok.example.com', 'no.example.com'])
  await clock.advance(10_000)
  await policy.check('no.example.com')
  await policy.check('ok.example.com')
  assert.deepEqual(ask.asked, ['ok.example.com', 'no.example.com', 'no.example.com'])
  await clock.advance(50_000)
  await policy.check('ok.example.com')
  assert.equal(ask.asked.length, 4)
})

test('policy: concurrent checks of one name share one question', async (t) => {
  const ask = await askServer(t, (domain, res) => setTimeout(() => allowOk(domain, res), 100))
  const policy = new OnDemandPolicy({ ask: ask.url }, new FakeClock(0))
  const verdicts = await Promise.all(
    Array.from({ length: 10 }, () => policy.check('ok.example.com')),
  )
  assert.ok(verdicts.every((v) => v.allowed))
  assert.deepEqual(ask.asked, ['ok.example.com'])
})

test('policy: fail-closed on a timeout, a redirect, a server error and a refused connection', async (t) => {
  const ask = await askServer(t, (domain, res) => {
    if (domain.startsWith('slow.')) setTimeout(() => res.writeHead(200).end(), 2000)
    else if (domain.startsWith('moved.')) res.writeHead(302, { location: '/ok' }).end()
    else res.writeHead(500).end()
  })
  const policy = new OnDemandPolicy({ ask: ask.url, askTimeoutMs: 200 }, new FakeClock(0))
  const slow = await policy.check('slow.example.com')
  assert.equal(slow.allowed, false)
  assert.match(slow.reason, /no answer within 200 ms/)
  assert.match((await policy.check('moved.example.com')).reason, /ask answered 302/)
  assert.match((await policy.check('err.example.com')).reason, /ask answered 500/)
  const gone = createServer()
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve))
  const port = (gone.address() as AddressInfo).port
  await new Promise((resolve) => gone.close(resolve))
  const closed = new OnDemandPolicy({ ask: `http://127.0.0.1:${port}/ask` }, new FakeClock(0))
  const refused = await closed.check('ok.example.com')
  assert.equal(refused.allowed, false)
  assert.match(refused.reason, /ECONNREFUSED/)
})

test('policy: the allow-list comes first (a name off the list is not asked); decide must agree too', async (t) => {
  const ask = await askServer(t, allowOk)
  const decided: string[] = []
  const policy = new OnDemandPolicy(
    {
      allow: ['**.example.com'],
      ask: ask.url,
      decide: async (name) => {
        decided.push(name)
        if (name.startsWith('ok.boom')) throw new Error('database down')
        return !name.includes('veto')
      },
    },
    new FakeClock(0),
  )
  const off = await policy.check('ok.example.net')
  assert.deepEqual([off.allowed, off.kind], [false, 'not-listed'])
  assert.equal((await policy.check('ok.a.example.com')).allowed, true)
  assert.equal((await policy.check('ok.veto.example.com')).allowed, false)
  const boom = await policy.check('ok.boom.example.com')
  assert.deepEqual([boom.allowed, boom.kind], [false, 'denied'])
  assert.match(boom.reason, /decide failed: database down/)
  assert.equal((await policy.check('no.example.com')).allowed, false)
  assert.deepEqual(ask.asked, [
    'ok.a.example.com',
    'ok.veto.example.com',
    'ok.boom.example.com',
    'no.example.com',
  ])
  assert.deepEqual(decided, ['ok.a.example.com', 'ok.veto.example.com', 'ok.boom.example.com'])
})

test('policy: only the allow-list, no endpoint: decided in memory; the answer cache is bounded', async (t) => {
  const ask = await askServer(t, allowOk)
  const unlisted = new OnDemandPolicy({ allow: [], ask: ask.url }, new FakeClock(0))
  assert.equal((await unlisted.check('ok.x.example.net')).allowed, true, 'allow: [] is no list')
  ask.asked.length = 0
  const listed = new OnDemandPolicy({ allow: ['*.example.com'] }, new FakeClock(0))
  assert.equal((await listed.check('a.example.com')).allowed, true)
  assert.equal((await listed.check('a.b.example.com')).allowed, false)
  const small = new OnDemandPolicy({ ask: ask.url, maxCachedAnswers: 2 }, new FakeClock(0))
  for (const n of ['ok.a.com', 'ok.b.com', 'ok.c.com', 'ok.a.com']) await small.check(n)
  assert.deepEqual(ask.asked, ['ok.a.com', 'ok.b.com', 'ok.c.com', 'ok.a.com'], 'a.com was evicted')
})

test('policy: a handshake that stops waiting gets a denial; the question still completes for others', async (t) => {
  const ask = await askServer(t, (domain, res) => setTimeout(() => allowOk(domain, res), 300))
  const policy = new OnDemandPolicy({ ask: ask.url }, new FakeClock(0))
  const impatient = await policy.check('ok.example.com', AbortSignal.timeout(50))
  assert.equal(impatient.allowed, false)
  assert.equal((await policy.check('ok.example.com')).allowed, true)
  assert.deepEqual(ask.asked, ['ok.example.com'])
})

test('policy options: no policy at all, unknown keys and bad values are refused, naming them', async () => {
  const { checkOnDemandOptions } = await import('./on-demand-options.js')
  assert.throws(() => checkOnDemandOptions({}), /onDemand needs a policy/)
  assert.throws(() => checkOnDemandOptions({ allow: [] }), /onDemand needs a policy/)
  assert.throws(
    () => checkOnDemandOptions({ alow: ['a.com'] } as never),
    /unknown onDemand option "alow"; did you mean allow\?/,
  )
  assert.throws(() => checkOnDemandOptions({ ask: 'ftp://x/ask' }), /onDemand.ask "ftp:\/\/x\/ask"/)
  assert.throws(() => checkOnDemandOptions({ ask: 'http://x', denyTtlMs: -1 }), RangeError)
  assert.throws(
    () => checkOnDemandOptions({ ask: 'http://x', rateLimit: { issuances: 0, intervalMs: 1 } }),
    /onDemand.rateLimit/,
  )
})
