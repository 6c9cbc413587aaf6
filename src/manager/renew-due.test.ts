import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Identifier } from '../acme/types.js'
import { certId } from '../acme/cert-id.js'
import { parseCertificate } from '../crypto/certificate.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { FakeClock } from '../testing/fake-clock.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { CertificateManager } from './certificate-manager.js'
import type { IssuedPair, Issuer, IssuerRenewalInfo } from './issuer.js'
import { LocalCaIssuer } from './local-ca-issuer.js'
import { loadRenewalRecord } from './renewal-record.js'
import { LOCAL_CA_ISSUER_KEY } from './local-ca-issuer.js'

const DAY = 24 * 60 * 60_000

/** The real local CA behind a switch that can make issuance fail, and an optional ARI answer. */
class SwitchableIssuer implements Issuer {
  readonly key = LOCAL_CA_ISSUER_KEY
  readonly source = 'local-ca'
  failing = false
  replaces: (string | undefined)[] = []
  window: IssuerRenewalInfo['window'] | undefined
  readonly #inner: Issuer

  constructor(inner: Issuer) {
    this.#inner = inner
  }

  issue(
    ids: Identifier[],
    options: { replaces?: string; signal?: AbortSignal },
  ): Promise<IssuedPair> {
    this.replaces.push(options.replaces)
    if (this.failing) return Promise.reject(new Error('the CA is down'))
    return this.#inner.issue(ids, options)
  }

  renewalInfo(): Promise<IssuerRenewalInfo | undefined> {
    const window = this.window
    return Promise.resolve(window ? { window, retryAfterMs: 6 * 3600_000 } : undefined)
  }
}

async function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1))
  const storage = new MemoryStorage()
  const ca = await LocalCa.load(storage, { clock })
  const issuer = new SwitchableIssuer(new LocalCaIssuer(ca, { validityDays: 30 }))
  const cache = new CertificateCache()
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: [['app.localhost', 'api.localhost'], 'solo.localhost'],
  })
  return { clock, storage, issuer, cache, manager }
}

test('renewDue: obtains what is missing, one certificate per group of names, and records it', async (t) => {
  const { storage, issuer, cache, manager } = await setup()
  t.after(() => manager.stop())
  const results = await manager.renewDue()
  assert.deepEqual(
    results.map((r) => [r.name, r.outcome]),
    [
      ['app.localhost', 'obtained'],
      ['solo.localhost', 'obtained'],
    ],
  )
  const entry = cache.lookup('api.localhost')
  assert.ok(entry, 'the second name of the group is served')
  assert.deepEqual(parseCertificate(entry.certificatePem).dnsNames.sort(), [
    'api.localhost',
    'app.localhost',
  ])
  await manager.stop()
  const record = await loadRenewalRecord(storage, issuer.key, 'app.localhost')
  assert.equal(record?.serialHex, parseCertificate(entry.certificatePem).serialHex)
  assert.equal(record?.failures, 0)
  assert.equal(record?.reason, 'lifetime')
  assert.ok(record?.renewAt, 'the planned renewal time is recorded')
})

test('renewDue: a fresh certificate is not due; --force renews it with replaces', async (t) => {
  const { storage, issuer, cache, clock } = await setup()
  const first = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['solo.localhost'],
  })
  await first.renewDue()
  await first.stop()
  const before = cache.lookup('solo.localhost')?.certificatePem ?? ''
  // A second manager, as a second `gatehouse certs renew` would build, loads what is stored.
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: ['solo.localhost'],
  })
  t.after(() => manager.stop())
  const [idle] = await manager.renewDue()
  assert.equal(idle?.outcome, 'not-due')
  assert.equal(issuer.replaces.length, 1, 'nothing issued')
  const [forced] = await manager.renewDue({ names: ['solo.localhost'], force: true })
  assert.equal(forced?.outcome, 'renewed')
  assert.equal(forced?.replaces, certId(before))
  assert.equal(issuer.replaces.at(-1), certId(before))
  assert.notEqual(cache.lookup('solo.localhost')?.certificatePem, before)
})

test('renewDue: an ARI window in the past makes it due; the window and a failure are recorded', async (t) => {
  const { storage, issuer, clock, manager } = await setup()
  t.after(() => manager.stop())
  await manager.renewDue({ names: ['solo.localhost'] })
  const window = { start: new Date(clock.now() - 2 * DAY), end: new Date(clock.now() - DAY) }
  issuer.window = window
  issuer.failing = true
  // Past the guard that spaces issuances of one name by at least a minute.
  await clock.advance(2 * 60_000)
  const [failed] = await manager.renewDue({ names: ['solo.localhost'] })
  assert.equal(failed?.outcome, 'failed')
  assert.match(failed?.error?.message ?? '', /the CA is down/)
  assert.equal(failed?.status.reason, 'ari')
  await manager.stop()
  const record = await loadRenewalRecord(storage, issuer.key, 'solo.localhost')
  assert.deepEqual(record?.ari, {
    start: window.start.toISOString(),
    end: window.end.toISOString(),
  })
  assert.equal(record?.failures, 1)
  assert.equal(record?.lastError?.message, 'the CA is down')
  assert.equal(record?.nextAttempt, new Date(clock.now() + 60_000).toISOString())
  await assert.rejects(manager.renewDue({ names: ['nope.localhost'] }), /not managed here/)
})
