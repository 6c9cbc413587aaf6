import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import type { Identifier } from '../acme/types.js'
import { certId } from '../acme/cert-id.js'
import { parseCertificate } from '../crypto/certificate.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { FakeClock } from '../testing/fake-clock.js'
import { opensslVerify } from '../../test/helpers/openssl.js'
import { CertificateManager, MIN_RENEWAL_INTERVAL_MS } from './certificate-manager.js'
import type { IssuedPair, Issuer, IssuerRenewalInfo } from './issuer.js'
import { LocalCaIssuer } from './local-ca-issuer.js'
import type { ManagerEvent } from './manager-events.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Real-time bound on waiting for the manager to go back to sleep after time moved. */
const MAX_IDLE_POLLS = 2000

/** Waits (real time, bounded) until `sleepers` loops sleep on the fake clock again. */
async function idle(clock: FakeClock, sleepers: number): Promise<void> {
  for (let i = 0; i < MAX_IDLE_POLLS; i++) {
    if (clock.pending >= sleepers) return
    await delay(2)
  }
  throw new Error(`the manager did not go back to sleep (${clock.pending} of ${sleepers} sleeping)`)
}

/** Moves the fake clock `ms` forward in `step`s, letting the manager finish its work after each. */
async function run(clock: FakeClock, ms: number, step: number, sleepers: number): Promise<void> {
  const end = clock.now() + ms
  await idle(clock, sleepers)
  while (clock.now() < end) {
    await clock.advance(Math.min(step, end - clock.now()))
    await idle(clock, sleepers)
  }
}

/** Wraps an issuer to count calls, record `replaces`, and fail the calls listed in `failOn`. */
class ScriptedIssuer implements Issuer {
  readonly key: string
  readonly source = 'local-ca'
  calls = 0
  inFlight = 0
  maxInFlight = 0
  readonly replaces: (string | undefined)[] = []
  readonly #inner: Issuer
  readonly #failOn: (call: number) => boolean
  renewalInfo?: (pem: string) => Promise<IssuerRenewalInfo | undefined>

  constructor(inner: Issuer, failOn: (call: number) => boolean = () => false) {
    this.#inner = inner
    this.key = inner.key
    this.#failOn = failOn
  }

  async issue(
    ids: Identifier[],
    options: { replaces?: string; signal?: AbortSignal },
  ): Promise<IssuedPair> {
    const call = ++this.calls
    this.replaces.push(options.replaces)
    if (this.#failOn(call)) throw new Error(`scripted failure of call ${call}`)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      return await this.#inner.issue(ids, options)
    } finally {
      this.inFlight--
    }
  }
}

async function setup(
  options: { start?: number; validityDays?: number; failOn?: (call: number) => boolean } = {},
) {
  const clock = new FakeClock(options.start)
  const storage = new MemoryStorage()
  const ca = await LocalCa.load(storage, { clock })
  const issuer = new ScriptedIssuer(
    new LocalCaIssuer(ca, { validityDays: options.validityDays ?? 6 }),
    options.failOn,
  )
  return { clock, storage, ca, issuer, cache: new CertificateCache() }
}

function serialOf(cache: CertificateCache, name: string): string | undefined {
  const entry = cache.lookup(name)
  return entry && parseCertificate(entry.certificatePem).serialHex
}

test('start() obtains missing certificates in the background; ready() waits for them', async (t) => {
  const { clock, storage, ca, issuer, cache } = await setup({ start: Date.now() })
  const events: ManagerEvent[] = []
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['app.localhost', 'API.test', 'app.localhost'],
    onEvent: (e) => events.push(e),
  })
  t.after(() => manager.stop())
  await manager.start()
  const entry = await manager.ready('app.localhost')
  await manager.ready('api.test')
  assert.equal(cache.lookup('app.localhost'), entry)
  assert.equal(entry.source, 'local-ca')
  assert.deepEqual(events.map((e) => `${e.type} ${e.name}`).sort(), [
    'obtained api.test',
    'obtained app.localhost',
  ])
  assert.equal(issuer.calls, 2, 'duplicate names are merged')
  // An independent checker accepts what is served.
  opensslVerify(entry.certificatePem, ca.rootCertificatePem, { name: 'app.localhost' })
  const status = manager.status().find((s) => s.name === 'app.localhost')
  assert.ok(status?.nextRenewal && status.notAfter)
  assert.equal(status.reason, 'lifetime')
  assert.equal(status.failures, 0)
  // Half-life of a 6-day certificate (backdated 1 h), jittered by at most ±1%.
  const cert = parseCertificate(entry.certificatePem)
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime()
  const fraction = (status.nextRenewal.getTime() - cert.notBefore.getTime()) / lifetime
  assert.ok(Math.abs(fraction - 0.5) <= 0.0101, `renews at ${fraction} of the lifetime`)
})

test('180 days of 6-day certificates: about 60 renewals at half-life, each published', async (t) => {
  const { clock, storage, issuer, cache } = await setup()
  const renewed: { at: number; fraction: number }[] = []
  const mismatches: string[] = []
  // Counted instead of timing the run: a loop that wakes more often than it has work (polls, or
  // re-arms short sleeps) shows up here on any machine, however loaded.
  let sleeps = 0
  const sleep = clock.sleep.bind(clock)
  clock.sleep = (ms, signal) => {
    sleeps++
    return sleep(ms, signal)
  }
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['a.localhost', 'b.localhost'],
    onEvent: (e) => {
      if (e.type !== 'renewed') return
      if (serialOf(cache, e.name) !== e.certificate.serialHex) mismatches.push(e.name)
      const { notBefore, notAfter } = e.previous
      const life = notAfter.getTime() - notBefore.getTime()
      renewed.push({ at: e.at.getTime(), fraction: (e.at.getTime() - notBefore.getTime()) / life })
    },
  })
  t.after(() => manager.stop())
  await manager.start()
  await manager.ready('a.localhost')
  await manager.ready('b.localhost')
  await run(clock, 180 * DAY, HOUR, 2)
  // Each name renews every ~3 days: 59 or 60 times in 180 days.
  assert.ok(renewed.length >= 2 * 58 && renewed.length <= 2 * 61, `${renewed.length} renewals`)
  assert.deepEqual(mismatches, [], 'every renewed certificate is the one served')
  for (const r of renewed) {
    // Half-life ±1% jitter, plus up to one step of the test's clock (1 h of 145 h).
    assert.ok(r.fraction > 0.489 && r.fraction < 0.52, `renewed at ${r.fraction} of the lifetime`)
  }
  assert.equal(issuer.calls, renewed.length + 2)
  // Without ARI each name's loop sleeps once per certificate it serves (until that one is due): once
  // after obtaining, once after each renewal. Plus up to two ready() timeouts (none for a name
  // obtained before ready() is called). A loop waking twice per certificate would be ~120 over.
  const loopSleeps = renewed.length + 2
  assert.ok(
    sleeps >= loopSleeps && sleeps <= loopSleeps + 2,
    `${sleeps} sleeps for ${renewed.length} renewals`,
  )
})

test('90-day certificates renew once, around day 60', async (t) => {
  const { clock, storage, issuer, cache } = await setup({ validityDays: 90 })
  const renewedAt: number[] = []
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['long.localhost'],
    onEvent: (e) => e.type === 'renewed' && renewedAt.push(e.at.getTime()),
  })
  t.after(() => manager.stop())
  const start = clock.now()
  await manager.start()
  await manager.ready('long.localhost')
  const first = serialOf(cache, 'long.localhost')
  await run(clock, 89 * DAY, 6 * HOUR, 1)
  assert.equal(renewedAt.length, 1)
  const day = ((renewedAt[0] ?? 0) - start) / DAY
  // 2/3 of 90 days + 1 h backdate, ±0.9 days jitter, + one 6 h step.
  assert.ok(day > 58.9 && day < 61.3, `renewed on day ${day}`)
  assert.notEqual(serialOf(cache, 'long.localhost'), first)
})

test('failures back off 1 min, 10 min, 100 min, then daily; the old certificate keeps serving', async (t) => {
  // Call 1 obtains; calls 2-6 fail; call 7 renews.
  const { clock, storage, issuer, cache } = await setup({ failOn: (n) => n >= 2 && n <= 6 })
  const events: ManagerEvent[] = []
  const servedDuringFailures: (string | undefined)[] = []
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['flaky.localhost'],
    // The renewal time is jittered by ±1% of the lifetime (±1.45 h here). The last retry comes
    // 49.85 h after the first failure, so whether less than a day is left then (expiring_soon)
    // depends on that draw: with Math.random, 3.4% of runs drew below 0.035 and saw no warning
    // (reproduced with random 0 and 0.02; the race suspected in idle() was not the cause).
    random: () => 0.5,
    onEvent: (e) => {
      events.push(e)
      if (e.type === 'renewal_failed') servedDuringFailures.push(serialOf(cache, e.name))
    },
  })
  t.after(() => manager.stop())
  await manager.start()
  await manager.ready('flaky.localhost')
  const original = serialOf(cache, 'flaky.localhost')
  await run(clock, 6 * DAY, MINUTE, 1)

  const failures = events.filter((e) => e.type === 'renewal_failed')
  assert.deepEqual(
    failures.map((e) => [e.attempt, e.nextAttempt.getTime() - e.at.getTime(), e.hasCertificate]),
    [
      [1, MINUTE, true],
      [2, 10 * MINUTE, true],
      [3, 100 * MINUTE, true],
      [4, DAY, true],
      [5, DAY, true],
    ],
  )
  // Each retry happened when announced (to the test's 1-minute step).
  for (let i = 1; i < failures.length; i++) {
    const late = (failures[i]?.at.getTime() ?? 0) - (failures[i - 1]?.nextAttempt.getTime() ?? 0)
    assert.ok(late >= 0 && late <= MINUTE, `retry ${i + 1} came ${late} ms after its time`)
  }
  assert.match(failures[0]?.error.message ?? '', /scripted failure of call 2/)
  assert.deepEqual(servedDuringFailures, Array(5).fill(original))
  // Two days of failures on a 6-day certificate: less than a day left, so it warned once.
  assert.equal(events.filter((e) => e.type === 'expiring_soon').length, 1)
  const renewed = events.filter((e) => e.type === 'renewed')
  assert.equal(renewed.length, 1)
  assert.notEqual(serialOf(cache, 'flaky.localhost'), original)
  const [status] = manager.status()
  assert.equal(status?.failures, 0)
  assert.equal(status?.lastError, undefined)
})

test('a second manager on the same storage loads the certificate without issuing', async (t) => {
  const { clock, storage, issuer, cache } = await setup({ validityDays: 30 })
  const first = new CertificateManager({ storage, issuer, cache, clock, names: ['s.localhost'] })
  t.after(() => first.stop())
  await first.start()
  const served = await first.ready('s.localhost')

  const events: ManagerEvent[] = []
  const otherIssuer = new ScriptedIssuer(issuer)
  const otherCache = new CertificateCache()
  const second = new CertificateManager({
    storage,
    issuer: otherIssuer,
    cache: otherCache,
    clock,
    names: ['s.localhost'],
    onEvent: (e) => events.push(e),
  })
  t.after(() => second.stop())
  await second.start()
  // Loaded during start(): ready at once, nothing issued.
  assert.equal(otherCache.lookup('s.localhost')?.certificatePem, served.certificatePem)
  assert.deepEqual(
    events.map((e) => e.type),
    ['loaded'],
  )
  await run(clock, 10 * DAY, 6 * HOUR, 2)
  assert.equal(otherIssuer.calls, 0)
})

test('after getting the lock, a renewal adopts what another instance stored meanwhile', async (t) => {
  const { clock, storage, issuer, cache } = await setup({ validityDays: 30 })
  const eventsA: ManagerEvent[] = []
  const issuerA = new ScriptedIssuer(issuer)
  const a = new CertificateManager({
    storage,
    issuer: issuerA,
    cache,
    clock,
    names: ['shared.localhost'],
    onEvent: (e) => eventsA.push(e),
  })
  t.after(() => a.stop())
  await a.start()
  await a.ready('shared.localhost')
  assert.equal(issuerA.calls, 1)

  // Instance B renews first (forced), on the same storage.
  const cacheB = new CertificateCache()
  const b = new CertificateManager({
    storage,
    issuer,
    cache: cacheB,
    clock,
    names: ['shared.localhost'],
  })
  t.after(() => b.stop())
  await b.start()
  await clock.advance(15 * DAY)
  await b.renewNow('shared.localhost', { force: true })
  const renewedByB = serialOf(cacheB, 'shared.localhost')

  // A's renewal time (~day 20) comes: it re-checks storage under the lock and loads B's.
  await run(clock, 10 * DAY, 6 * HOUR, 2)
  assert.equal(issuerA.calls, 1, 'A issued nothing')
  assert.equal(serialOf(cache, 'shared.localhost'), renewedByB)
  assert.deepEqual(
    eventsA.map((e) => e.type),
    ['obtained', 'loaded'],
  )
})

test('ARI: renews inside the window with replaces; never sooner than the guard allows', async (t) => {
  const { clock, storage, issuer, cache } = await setup({ validityDays: 30 })
  // The first certificate gets a window on days 5-6; later ones `later` (first far ahead).
  const window = { start: new Date(clock.now() + 5 * DAY), end: new Date(clock.now() + 6 * DAY) }
  let later = { start: new Date(clock.now() + 25 * DAY), end: new Date(clock.now() + 26 * DAY) }
  let firstId: string | undefined
  issuer.renewalInfo = (pem) => {
    firstId ??= certId(pem)
    return Promise.resolve({
      window: certId(pem) === firstId ? window : later,
      explanationURL: 'https://ca.example/why',
      retryAfterMs: 6 * HOUR,
    })
  }
  const renewed: Extract<ManagerEvent, { type: 'renewed' }>[] = []
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['ari.localhost'],
    onEvent: (e) => e.type === 'renewed' && renewed.push(e),
  })
  t.after(() => manager.stop())
  await manager.start()
  const first = await manager.ready('ari.localhost')
  await idle(clock, 1)
  const [status] = manager.status()
  assert.equal(status?.reason, 'ari')
  assert.equal(status?.ariExplanationURL, 'https://ca.example/why')
  const at = status?.nextRenewal?.getTime() ?? 0
  assert.ok(at >= window.start.getTime() && at <= window.end.getTime(), 'inside the window')

  await run(clock, 6 * DAY, HOUR, 1)
  assert.equal(renewed.length, 1)
  const [event] = renewed
  assert.ok(event && event.at >= window.start && event.at.getTime() <= window.end.getTime() + HOUR)
  assert.equal(event?.replaces, certId(first.certificatePem))
  assert.equal(issuer.replaces.at(-1), certId(first.certificatePem))

  // A window always in the past: "renew now" every time. The guard spaces renewals >= 1 minute.
  later = { start: new Date(0), end: new Date(1000) }
  await run(clock, 12 * HOUR, HOUR, 1) // the next ARI check sees the past window
  const before = renewed.length
  await run(clock, 10 * MINUTE, 10_000, 1)
  const extra = renewed.length - before
  assert.ok(extra >= 9 && extra <= 11, `${extra} renewals in 10 minutes`)
  for (let i = before + 1; i < renewed.length; i++) {
    const gap = (renewed[i]?.at.getTime() ?? 0) - (renewed[i - 1]?.at.getTime() ?? 0)
    assert.ok(gap >= MIN_RENEWAL_INTERVAL_MS, `renewals ${gap} ms apart`)
  }
})

test('a failed first issuance does not fail start(); it is retried a minute later', async (t) => {
  const { clock, storage, issuer, cache } = await setup({ failOn: (n) => n === 1 })
  const events: ManagerEvent[] = []
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['late.localhost'],
    onEvent: (e) => events.push(e),
  })
  t.after(() => manager.stop())
  await manager.start()
  const waiting = manager.ready('late.localhost', { timeoutMs: 2 * 60_000 })
  await idle(clock, 2)
  const [failed] = events
  assert.ok(failed?.type === 'renewal_failed')
  assert.equal(failed.hasCertificate, false)
  assert.equal(failed.nextAttempt.getTime() - failed.at.getTime(), MINUTE)
  assert.equal(cache.lookup('late.localhost'), undefined)
  await clock.advance(MINUTE)
  const entry = await waiting
  assert.equal(cache.lookup('late.localhost'), entry)
  assert.deepEqual(
    events.map((e) => e.type),
    ['renewal_failed', 'obtained'],
  )
})

test('ready() times out with ERR_TIMEOUT naming the last error; renewNow rejects with it', async (t) => {
  const { clock, storage, issuer, cache } = await setup({ failOn: () => true })
  const manager = new CertificateManager({ storage, issuer, cache, clock, names: ['x.localhost'] })
  t.after(() => manager.stop())
  await manager.start()
  await idle(clock, 1)
  // The expectation is attached before time moves, so the rejection is never unhandled.
  const waiting = assert.rejects(
    manager.ready('x.localhost', { timeoutMs: 5000 }),
    (err: Error & { code?: string; cause?: unknown }) => {
      assert.equal(err.code, 'ERR_TIMEOUT')
      assert.match(err.message, /x\.localhost.*scripted failure/)
      assert.ok(err.cause instanceof Error)
      return true
    },
  )
  await clock.advance(4999)
  assert.equal(clock.pending, 2, 'still waiting at 4999 ms')
  await clock.advance(1)
  await waiting
  await assert.rejects(manager.renewNow('x.localhost', { force: true }), /scripted failure/)
  const [status] = manager.status()
  assert.equal(status?.failures, 2)
  assert.equal(status?.notAfter, undefined)
  // A caller's abort and the manager's stop both end a wait with ERR_ABORTED.
  const controller = new AbortController()
  const aborted = manager.ready('x.localhost', { signal: controller.signal })
  controller.abort()
  await assert.rejects(aborted, { code: 'ERR_ABORTED' })
  const stopped = manager.ready('x.localhost')
  await manager.stop()
  await assert.rejects(stopped, { code: 'ERR_ABORTED' })
  assert.equal(clock.pending, 0, 'stop() cancelled every sleep')
})

test('issuance is bounded in concurrency', async (t) => {
  const { clock, storage, issuer, cache } = await setup()
  const names = Array.from({ length: 6 }, (_, i) => `n${i}.localhost`)
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names,
    maxConcurrentIssuance: 2,
  })
  t.after(() => manager.stop())
  await manager.start()
  await Promise.all(names.map((n) => manager.ready(n)))
  assert.equal(issuer.calls, 6)
  assert.equal(issuer.maxInFlight, 2)
})

test('bad arguments are TypeError/RangeError naming the value', async () => {
  const { storage, issuer, cache } = await setup()
  const base = { storage, issuer, cache, names: ['a.localhost'] }
  assert.throws(() => new CertificateManager({ ...base, names: 'a.localhost' as never }), TypeError)
  assert.throws(
    () => new CertificateManager({ ...base, nmaes: ['x'] } as never),
    /unknown CertificateManager option "nmaes"/,
  )
  assert.throws(() => new CertificateManager({ ...base, maxConcurrentIssuance: 0 }), RangeError)
  const keyless = { key: 'no url', issue: issuer.issue.bind(issuer) }
  assert.throws(() => new CertificateManager({ ...base, issuer: keyless }), /issuer.key "no url"/)
  assert.throws(() => new CertificateManager({ ...base, names: ['bad name'] }), {
    code: 'ERR_INVALID_IDENTIFIER',
  })
  const manager = new CertificateManager(base)
  assert.throws(() => manager.ready('other.localhost'), /not managed here/)
  await assert.rejects(manager.renewNow('other.localhost'), RangeError)
  assert.throws(() => manager.ready('a.localhost', { timeoutMs: -1 }), RangeError)
  await manager.stop()
})
