import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createSecureContext } from 'node:tls'
import type { Clock } from '../clock.js'
import { certificateMatchesKey, parseCertificate } from '../crypto/certificate.js'
import { importPrivateKeyPem, keyTypeOf } from '../crypto/keys.js'
import { openssl, withTempDir } from '../crypto/openssl-cli.test.helper.js'
import { ACME_IDENTIFIER_OID, createTlsAlpnCertificate } from './tls-alpn-cert.js'

const KEY_AUTHORIZATION =
  'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI'

/** The acmeIdentifier extension as openssl's DER parser sees it: [critical?, hex of extnValue]. */
async function acmeExtension(dir: string): Promise<{ critical: boolean; valueHex: string }> {
  const dump = await openssl(['asn1parse', '-in', 'cert.pem'], dir)
  const lines = dump.split('\n')
  const at = lines.findIndex((l) => l.includes(`OBJECT            :${ACME_IDENTIFIER_OID}`))
  assert.ok(at > 0, dump)
  const critical = /BOOLEAN\s+:255/.test(lines[at + 1] ?? '')
  const valueLine = lines[at + (critical ? 2 : 1)] ?? ''
  const valueHex = /OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)/.exec(valueLine)?.[1]?.toLowerCase()
  assert.ok(valueHex, valueLine)
  return { critical, valueHex }
}

test('the tls-alpn-01 certificate carries the critical acmeIdentifier with SHA-256 of the key authorization', async () => {
  const { keyPem, certPem } = await createTlsAlpnCertificate(
    { type: 'dns', value: 'a.example.com' },
    KEY_AUTHORIZATION,
  )
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'cert.pem'), certPem)
    const text = await openssl(['x509', '-in', 'cert.pem', '-noout', '-text'], dir)
    assert.match(text, new RegExp(`${ACME_IDENTIFIER_OID.replace(/\./g, '\\.')}: critical`))
    assert.match(text, /Subject Alternative Name: *\n *DNS:a\.example\.com\n/)
    assert.match(text, /CA:FALSE/)
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/)
    const { critical, valueHex } = await acmeExtension(dir)
    const digest = createHash('sha256').update(KEY_AUTHORIZATION).digest('hex')
    assert.equal(critical, true)
    // extnValue = DER OCTET STRING (04, length 0x20) of the 32-byte digest.
    assert.equal(valueHex, `0420${digest}`)
  })
  const key = importPrivateKeyPem(keyPem)
  assert.equal(keyTypeOf(key), 'ec256')
  assert.equal(certificateMatchesKey(certPem, key), true)
  assert.doesNotThrow(() => createSecureContext({ key: keyPem, cert: certPem }))
})

test('the tls-alpn-01 certificate for an IP identifier has an iPAddress SAN and no dNSName', async () => {
  for (const value of ['192.0.2.9', '2001:DB8::9']) {
    const { keyPem, certPem } = await createTlsAlpnCertificate(
      { type: 'ip', value },
      KEY_AUTHORIZATION,
    )
    const info = parseCertificate(certPem)
    assert.deepEqual(info.dnsNames, [])
    assert.deepEqual(info.ipAddresses, [value.toLowerCase()])
    assert.doesNotThrow(() => createSecureContext({ key: keyPem, cert: certPem }))
  }
})

test('validity runs from an hour before the clock to seven days after, and every key is fresh', async () => {
  const now = Date.UTC(2030, 0, 15, 12, 0, 0)
  const clock: Clock = { now: () => now, sleep: async () => {} }
  const first = await createTlsAlpnCertificate({ type: 'dns', value: 'a.example' }, 'x.y', {
    clock,
  })
  const second = await createTlsAlpnCertificate({ type: 'dns', value: 'a.example' }, 'x.y', {
    clock,
  })
  const info = parseCertificate(first.certPem)
  assert.equal(info.notBefore.getTime(), now - 3_600_000)
  assert.equal(info.notAfter.getTime(), now + 7 * 86_400_000)
  assert.equal(info.isCa, false)
  assert.notEqual(first.keyPem, second.keyPem)
  assert.notEqual(info.serialHex, parseCertificate(second.certPem).serialHex)
})

test('createTlsAlpnCertificate rejects bad arguments and honours an aborted signal', async () => {
  await assert.rejects(
    createTlsAlpnCertificate({ type: 'ip', value: 'not-an-ip' }, 'a.b'),
    /not-an-ip/,
  )
  await assert.rejects(createTlsAlpnCertificate({ type: 'dns', value: '' }, 'a.b'), RangeError)
  await assert.rejects(createTlsAlpnCertificate({ type: 'dns', value: 'a.example' }, ''), TypeError)
  await assert.rejects(
    createTlsAlpnCertificate({ type: 'dns', value: 'a.example' }, 'a.b', {
      signal: AbortSignal.abort(),
    }),
    { code: 'ERR_ABORTED' },
  )
})
