import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import type { Identifier } from '../acme/types.js'
import { parseCertificate } from '../crypto/certificate.js'
import { jsonLogger } from '../logger.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { FakeClock } from '../testing/fake-clock.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { CertificateManager, DECLINED_RECHECK_MS } from './certificate-manager.js'
import type { IssuedPair, Issuer } from './issuer.js'
import { LocalCaIssuer } from './local-ca-issuer.js'
import type { ManagerEvent } from './manager-events.js'
import { OnDemandIssuance } from './on-demand.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Counts issuances: each would be one ACME order. */
class CountingIssuer implements Issuer {
  readonly key: string
  readonly source = 'local-ca'
  orders = 0
  readonly #inner: Issuer
  constructor(inner: Issuer) {
    this.#inner = inner
    this.key = inner.key
  }
  issue(ids: Identifier[], options: { signal?: AbortSignal }): Promise<IssuedPair> {
    this.orders++
    return this.#inner.issue(ids, options)
  }
}

/** A real ask endpoint on loopback whose answer the test flips; `asked` counts questions. */
async function askEndpoint(
  t: TestContext,
): Promise<{ url: string; allow: boolean; asked: number }> {
  const state = { url: '', allow: true, asked: 0 }
  const server = createServer((_req, res: ServerResponse) => {
    state.asked++
    res.writeHead(state.allow ? 200 : 403).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ask`
  return state
}

/** Moves the fake clock in steps, letting the manager's loop (real I/O: the ask) settle each time. */
async function run(clock: FakeClock, ms: number, step: number): Promise<void> {
  const end = clock.now() + ms
  while (clock.now() < end) {
    await clock.advance(Math.min(step, end - clock.now()))
    // The loop asks over real HTTP between fake-clock sleeps: wait (bounded) until it sleeps again.
    for (let i = 0; i < 2000 && clock.pending < 1; i++) await delay(2)
  }
}

/**
 * A manager of 6-day local-CA certificates on a fake clock, with no names of its own, and on-demand
 * issuance asking a real endpoint; events and log lines collected.
 */
async function setUp(t: TestContext) {
  const clock = new FakeClock(Date.now())
  const storage = new MemoryStorage()
  const issuer = new CountingIssuer(
    new LocalCaIssuer(await LocalCa.load(storage, { clock }), { validityDays: 6 }),
  )
  const cache = new CertificateCache()
  const events: ManagerEvent[] = []
  const lines: string[] = []
  const logger = jsonLogger({ level: 'debug', write: (l) => lines.push(l) })
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: [],
    logger,
    onEvent: (e) => events.push(e),
  })
  t.after(() => manager.stop())
  await manager.start()
  const ask = await askEndpoint(t)
  const onDemand = new OnDemandIssuance({
    policy: { ask: ask.url },
    managerFor: () => manager,
    clock,
    logger,
  })
  t.after(() => onDemand.close())
  return { clock, issuer, cache, events, lines, manager, ask, onDemand }
}

test('on-demand renewal: asked again before renewing; allowed renews, denied keeps serving until expiry, then releases', async (t) => {
  const { clock, issuer, cache, events, lines, manager, ask, onDemand } = await setUp(t)
  const name = 'shop.localhost'
  const serial = (): string | undefined => {
    const entry = cache.lookup(name)
    return entry && parseCertificate(entry.certificatePem).serialHex
  }

  assert.equal(await onDemand.certificateFor(name, AbortSignal.timeout(10_000)), true)
  const first = serial()
  assert.ok(first)
  assert.deepEqual([issuer.orders, ask.asked], [1, 1])

  // 6-day certificates renew at about half their life: past the ask's 1 h answer cache, asked again.
  await run(clock, 4 * DAY, HOUR)
  const second = serial()
  assert.ok(second && second !== first, 'allowed: renewed, a new serial')
  assert.deepEqual([issuer.orders, ask.asked], [2, 2])
  assert.ok(events.some((e) => e.type === 'renewed'))

  ask.allow = false
  const notAfter = cache.lookup(name)?.notAfter.getTime() ?? 0
  await run(clock, notAfter - clock.now() - HOUR, HOUR)
  assert.equal(issuer.orders, 2, 'denied: no new order')
  assert.equal(serial(), second, 'served until it expires')
  const declined = events.filter((e) => e.type === 'renewal_declined')
  assert.equal(declined.length, 1, 'one event for the denial')
  assert.match(declined[0]?.type === 'renewal_declined' ? declined[0].reason : '', /403/)
  assert.ok(ask.asked > 3, `asked again every ${DECLINED_RECHECK_MS} ms (${ask.asked})`)
  const logged = lines.filter((l) => l.includes('renewal declined'))
  assert.equal(logged.length, 1, 'logged once')
  assert.doesNotMatch(logged[0] ?? '', /PRIVATE KEY|BEGIN /)
  assert.equal(
    events.some((e) => e.type === 'expiring_soon'),
    false,
    'an expected expiry is not warned about as failing renewals',
  )

  await run(clock, 2 * HOUR, HOUR)
  assert.equal(cache.lookup(name), undefined, 'expired: no longer served')
  assert.ok(events.some((e) => e.type === 'released' && e.name === name))
  assert.equal(
    manager.status().some((s) => s.name === name),
    false,
    'no longer managed',
  )
  assert.equal(issuer.orders, 2)
})

test('on-demand renewal: a denial that is lifted before expiry renews, and a new denial is reported again', async (t) => {
  const { clock, issuer, events, ask, onDemand } = await setUp(t)
  assert.equal(await onDemand.certificateFor('a.localhost', AbortSignal.timeout(10_000)), true)
  ask.allow = false
  await run(clock, 4 * DAY, HOUR)
  assert.equal(issuer.orders, 1)
  assert.equal(events.filter((e) => e.type === 'renewal_declined').length, 1)
  ask.allow = true
  await run(clock, 2 * HOUR, HOUR)
  assert.equal(issuer.orders, 2, 'allowed again: renewed at the next question')
  assert.ok(events.some((e) => e.type === 'renewed'))
  ask.allow = false
  await run(clock, 4 * DAY, HOUR)
  assert.equal(events.filter((e) => e.type === 'renewal_declined').length, 2)
})
