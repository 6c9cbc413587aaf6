import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { certId } from '../../src/acme/cert-id.js'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { Http01StandaloneSolver } from '../../src/issuance/http-01-solver.js'
import { loadOrCreateAccount } from '../../src/manager/account-store.js'
import { AcmeIssuer } from '../../src/manager/acme-issuer.js'
import { CertificateManager } from '../../src/manager/certificate-manager.js'
import type { ManagerEvent } from '../../src/manager/manager-events.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import { FakeClock } from '../../src/testing/fake-clock.js'
import { startAcmeFront } from '../helpers/acme-front.js'
import { opensslVerify } from '../helpers/openssl.js'
import { startPebble } from '../helpers/pebble.js'
import { tempDir } from '../helpers/temp-dir.js'

const HOUR = 3600_000
const DAY = 24 * HOUR
/** Real-time bound (in 5 ms polls) on the manager going back to sleep after the clock moved. */
const MAX_IDLE_POLLS = 6000
const NAMES = ['one.manager.test', 'two.manager.test']

/** Waits until `sleepers` manager loops sleep on the fake clock again (real I/O may be running). */
async function idle(clock: FakeClock, sleepers: number): Promise<void> {
  for (let i = 0; i < MAX_IDLE_POLLS; i++) {
    if (clock.pending >= sleepers) return
    await delay(5)
  }
  throw new Error(`the manager did not go back to sleep (${clock.pending} of ${sleepers})`)
}

function serialOf(cache: CertificateCache, name: string): string | undefined {
  const entry = cache.lookup(name)
  return entry && parseCertificate(entry.certificatePem).serialHex
}

// Pebble stamps real time into certificates, so the fake clock starts at real now and moves a day
// or two: far from the 90-day certificates' renewal time, so only ARI can make them renew.
test('manager against Pebble: obtain at start, load elsewhere without issuing, renew by ARI with replaces', async (t) => {
  const pebble = await startPebble({ nonceReject: 0 })
  t.after(() => pebble.stop())
  const front = await startAcmeFront(pebble)
  t.after(() => front.close())
  const dir = tempDir(t, 'gatehouse-manager')
  const storage = new FileStorage({ root: dir })
  const client = await loadOrCreateAccount({
    storage,
    directoryUrl: front.directoryUrl,
    caCerts: [pebble.listenerCaPem],
  })
  t.after(() => client.close())
  const solvers = [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })]
  const issuer = new AcmeIssuer({ client, directoryUrl: front.directoryUrl, solvers })
  const clock = new FakeClock(Date.now())
  const root = await pebble.root(0)
  const signal = AbortSignal.timeout(60_000)

  // 1. start() obtains both certificates in the background; ready() waits for them.
  const cache = new CertificateCache()
  const events: ManagerEvent[] = []
  const manager = new CertificateManager({
    storage,
    issuer,
    cache,
    clock,
    names: NAMES,
    onEvent: (e) => events.push(e),
  })
  t.after(() => manager.stop())
  await manager.start()
  for (const name of NAMES) {
    const entry = await manager.ready(name, { signal })
    assert.equal(cache.lookup(name), entry)
    assert.equal(entry.source, 'acme')
    opensslVerify(entry.certificatePem, root, { name })
  }
  assert.deepEqual(events.map((e) => `${e.type} ${e.name}`).sort(), [
    `obtained ${NAMES[0]}`,
    `obtained ${NAMES[1]}`,
  ])
  assert.equal(front.count('new-order'), 2)
  await idle(clock, 2)
  assert.deepEqual(
    manager.status().map((s) => [s.name, s.reason, s.failures]),
    NAMES.map((n) => [n, 'lifetime', 0]),
  )

  // 2. A second manager on the same storage loads both without a new order.
  const otherCache = new CertificateCache()
  const otherEvents: ManagerEvent[] = []
  const other = new CertificateManager({
    storage,
    issuer,
    cache: otherCache,
    clock,
    names: NAMES,
    onEvent: (e) => otherEvents.push(e),
  })
  await other.start()
  assert.deepEqual(
    otherEvents.map((e) => e.type),
    ['loaded', 'loaded'],
  )
  assert.equal(
    otherCache.lookup(NAMES[0] ?? '')?.certificatePem,
    cache.lookup(NAMES[0] ?? '')?.certificatePem,
  )
  await other.stop()
  assert.equal(front.count('new-order'), 2)

  // 3. ARI: the CA suggests renewing the first certificate tomorrow; the manager asks again within
  // 12 h, renews inside the window naming the old CertID in `replaces`, and publishes the new one.
  const name = NAMES[0] ?? ''
  const oldEntry = cache.lookup(name)
  assert.ok(oldEntry)
  const oldSerial = serialOf(cache, name)
  const id = certId(oldEntry.certificatePem)
  const start = new Date(clock.now() + DAY)
  front.setRenewalWindow(
    { start, end: new Date(start.getTime() + HOUR), explanationURL: 'https://ca.test/why' },
    id,
  )
  await idle(clock, 2)
  for (let hours = 0; hours < 30 && !events.some((e) => e.type === 'renewed'); hours++) {
    await clock.advance(HOUR)
    await idle(clock, 2)
  }
  const renewed = events.filter((e) => e.type === 'renewed')
  assert.equal(renewed.length, 1)
  const [event] = renewed
  assert.equal(event?.name, name)
  assert.equal(event?.replaces, id)
  assert.ok(event && event.at >= start, 'not before the window')
  assert.deepEqual(front.replaces, [id])
  assert.notEqual(serialOf(cache, name), oldSerial)
  assert.equal(serialOf(cache, name), event?.certificate.serialHex)
  opensslVerify(cache.lookup(name)?.certificatePem ?? '', root, { name })
  assert.equal(front.count('new-order'), 3, 'the other name was left alone')
})

test('AcmeIssuer.renewalInfo is undefined when the CA has no ARI (plain Pebble 2.4.0)', async (t) => {
  const pebble = await startPebble({ nonceReject: 0 })
  t.after(() => pebble.stop())
  const dir = tempDir(t, 'gatehouse-manager')
  const storage = new FileStorage({ root: dir })
  const client = await loadOrCreateAccount({
    storage,
    directoryUrl: pebble.directoryUrl,
    caCerts: [pebble.listenerCaPem],
  })
  t.after(() => client.close())
  const solvers = [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })]
  const issuer = new AcmeIssuer({ client, directoryUrl: pebble.directoryUrl, solvers })
  const pair = await issuer.issue([{ type: 'dns', value: 'plain.manager.test' }], {})
  opensslVerify(pair.certificatePem, await pebble.root(0), { name: 'plain.manager.test' })
  assert.equal(await issuer.renewalInfo(pair.certificatePem), undefined)
})
