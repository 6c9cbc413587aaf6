import { test } from 'node:test'
import assert from 'node:assert/strict'
import { certId } from '../acme/cert-id.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { FakeClock } from '../testing/fake-clock.js'
import { loadCertificate } from './certificate-store.js'
import { LOCAL_CA_ISSUER_KEY, LocalCaIssuer } from './local-ca-issuer.js'
import { inspectCertificate, loadServable, optional, storeIssued } from './served-certificate.js'
import { certificateKeys } from './storage-keys.js'

const DAY = 86_400_000
const IDS = [{ type: 'dns' as const, value: 'store.localhost' }]

async function issued(clock = new FakeClock()) {
  const storage = new MemoryStorage()
  const ca = await LocalCa.load(storage, { clock })
  const issuer = new LocalCaIssuer(ca, { validityDays: 6 })
  return { storage, clock, pair: await issuer.issue(IDS, {}), other: await issuer.issue(IDS, {}) }
}

test('inspectCertificate reads serial, validity and CertID; a foreign key is ERR_CERTIFICATE', async () => {
  const { pair, other } = await issued()
  const served = inspectCertificate(pair.certificatePem, pair.privateKeyPem, 'here')
  assert.equal(served.certId, certId(pair.certificatePem))
  assert.match(served.serialHex, /^[0-9a-f]+$/)
  assert.ok(served.notAfter > served.notBefore)
  assert.throws(() => inspectCertificate(pair.certificatePem, other.privateKeyPem, 'slot 7'), {
    code: 'ERR_CERTIFICATE',
    message: /slot 7 does not match its private key/,
  })
})

test('storeIssued then loadServable round-trips; expired, corrupt or absent read as undefined', async () => {
  const { storage, clock, pair, other } = await issued()
  assert.equal(
    await loadServable(storage, LOCAL_CA_ISSUER_KEY, 'store.localhost', clock.now()),
    undefined,
  )
  const stored = await storeIssued(storage, LOCAL_CA_ISSUER_KEY, IDS, pair, clock.now())
  const meta = (await loadCertificate(storage, LOCAL_CA_ISSUER_KEY, 'store.localhost'))?.meta
  assert.equal(meta?.serialHex, stored.serialHex)
  assert.equal(meta?.certId, stored.certId)
  assert.equal(meta?.directoryUrl, LOCAL_CA_ISSUER_KEY)
  const loaded = await loadServable(storage, LOCAL_CA_ISSUER_KEY, 'store.localhost', clock.now())
  assert.equal(loaded?.serialHex, stored.serialHex)
  assert.equal(loaded?.certificatePem, pair.certificatePem)
  // Expired by the caller's clock.
  const later = clock.now() + 7 * DAY
  assert.equal(
    await loadServable(storage, LOCAL_CA_ISSUER_KEY, 'store.localhost', later),
    undefined,
  )
  // A key that does not belong to the certificate (a crash between writes, a bad copy).
  const keys = certificateKeys(LOCAL_CA_ISSUER_KEY, 'store.localhost')
  await storage.put(keys.key, other.privateKeyPem, { private: true })
  assert.equal(
    await loadServable(storage, LOCAL_CA_ISSUER_KEY, 'store.localhost', clock.now()),
    undefined,
  )
  await storage.put(keys.cert, 'not a certificate')
  assert.equal(
    await loadServable(storage, LOCAL_CA_ISSUER_KEY, 'store.localhost', clock.now()),
    undefined,
  )
})

test('storeIssued refuses a pair whose key does not match, storing nothing', async () => {
  const { storage, clock, pair, other } = await issued()
  const bad = { certificatePem: pair.certificatePem, privateKeyPem: other.privateKeyPem }
  await assert.rejects(storeIssued(storage, LOCAL_CA_ISSUER_KEY, IDS, bad, clock.now()), {
    code: 'ERR_CERTIFICATE',
  })
  assert.deepEqual(await storage.list('', { recursive: true }), [
    'local-ca/root.crt',
    'local-ca/root.key',
  ])
})

test('optional() leaves out undefined values', () => {
  assert.deepEqual(optional('a', undefined), {})
  assert.deepEqual(optional('a', 0), { a: 0 })
})
