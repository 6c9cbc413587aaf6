import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AcmeClient } from '../acme/client.js'
import { generateKey } from '../crypto/keys.js'
import { Http01StandaloneSolver } from '../issuance/http-01-solver.js'
import { AcmeIssuer } from './acme-issuer.js'

// Issuing and renewalInfo run against real Pebble in test/integration/manager-acme.test.ts.
test('AcmeIssuer: the directory URL is its key; bad options are TypeErrors naming the fix', async () => {
  const directoryUrl = 'https://127.0.0.1:14000/dir'
  const client = new AcmeClient({ directoryUrl, accountKey: await generateKey('ec256') })
  const solvers = [new Http01StandaloneSolver({ host: '127.0.0.1', port: 0 })]
  const issuer = new AcmeIssuer({ client, directoryUrl, solvers })
  assert.equal(issuer.key, directoryUrl)
  assert.equal(issuer.source, 'acme')
  assert.throws(
    () => new AcmeIssuer({ client, directoryUrl: 'pebble', solvers }),
    /directoryUrl "pebble" is not a URL/,
  )
  assert.throws(
    () => new AcmeIssuer({ client, directoryUrl, solvers: [] }),
    /at least one challenge solver/,
  )
  // A certificate without an authorityKeyIdentifier has no CertID (RFC 9773 §4.1): no ARI, no error.
  assert.equal(await issuer.renewalInfo(SELF_SIGNED_WITHOUT_AKI), undefined)
  await client.close()
})

// `openssl req -new -key k.pem -subj /CN=x | openssl x509 -req -signkey k.pem -days 1` (P-256):
// OpenSSL 3.0's `x509 -req` adds no extensions, so this certificate has no AKI. Expiry is irrelevant.
const SELF_SIGNED_WITHOUT_AKI = `-----BEGIN CERTIFICATE-----
MIIBEjCBuQIUbgcCvtIfazemrKEZ+CZdUqzP0PowCgYIKoZIzj0EAwIwDDEKMAgG
A1UEAwwBeDAeFw0yNjExMjMxMzQ1MjJaFw0yNjExMjQxMzQ1MjJaMAwxCjAIBgNV
BAMMAXgwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQInnpjx++xFip6ZNaB2Z8V
jsuOdjYWoJ0QVTz1uuTinoe3RbX9xD8yZjxNP0H5E/lmxD4UgtrCGWWZXqVMNdUg
MAoGCCqGSM49BAMCA0gAMEUCIQCx/69g/d71HHaunUsX2Zs0IZ+aFGwoF1a+8vA1
fuwTTAIgRKpEJfLYlE9semLgPaz3CKTxOkLJYCvOqHfx/IQoCA0=
-----END CERTIFICATE-----
`
