import { test } from 'node:test'
import assert from 'node:assert/strict'
import { certificateMatchesKey, parseCertificate } from '../crypto/certificate.js'
import { importPrivateKeyPem } from '../crypto/keys.js'
import { splitPemChain } from '../crypto/pem.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { FakeClock } from '../testing/fake-clock.js'
import { opensslVerify } from '../../test/helpers/openssl.js'
import { LOCAL_CA_ISSUER_KEY, LocalCaIssuer } from './local-ca-issuer.js'

const DAY = 86_400_000

test('issues a leaf (without the root) for the identifiers, valid by the CA clock', async () => {
  // Real time (openssl verify checks validity), whole seconds (X.509 times have no fraction).
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000)
  const ca = await LocalCa.load(new MemoryStorage(), { clock })
  const issuer = new LocalCaIssuer(ca, { validityDays: 6 })
  assert.equal(issuer.key, LOCAL_CA_ISSUER_KEY)
  assert.equal(issuer.source, 'local-ca')
  const pair = await issuer.issue(
    [
      { type: 'dns', value: 'app.localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ],
    { replaces: 'ignored.ignored' },
  )
  assert.equal(splitPemChain(pair.certificatePem).length, 1)
  assert.ok(certificateMatchesKey(pair.certificatePem, importPrivateKeyPem(pair.privateKeyPem)))
  const info = parseCertificate(pair.certificatePem)
  assert.deepEqual(info.dnsNames, ['app.localhost'])
  assert.equal(info.notAfter.getTime(), clock.now() + 6 * DAY)
  opensslVerify(pair.certificatePem, ca.rootCertificatePem, { name: 'app.localhost' })
  opensslVerify(pair.certificatePem, ca.rootCertificatePem, { ip: '127.0.0.1' })
})

test('refuses names outside the CA constraints, and a missing CA', async () => {
  const ca = await LocalCa.load(new MemoryStorage())
  const issuer = new LocalCaIssuer(ca)
  await assert.rejects(issuer.issue([{ type: 'dns', value: 'example.com' }], {}), {
    code: 'ERR_INVALID_IDENTIFIER',
  })
  assert.throws(() => new LocalCaIssuer(undefined as never), /LocalCa\.load/)
})

test('honours an aborted signal', async () => {
  const ca = await LocalCa.load(new MemoryStorage())
  const controller = new AbortController()
  controller.abort()
  await assert.rejects(
    new LocalCaIssuer(ca).issue([{ type: 'dns', value: 'a.test' }], { signal: controller.signal }),
    { code: 'ERR_ABORTED' },
  )
})
