import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GatehouseError } from '../errors.js'
import { makeOpensslChain, openssl, withTempDir } from '../crypto/openssl-cli.test.helper.js'
import { certId, certIdFromParts } from './cert-id.js'

/** RFC 9773 Appendix A: the example certificate (serial 0x87654321, AKI 69:88:5B:…:C8:D4). */
const RFC_9773_EXAMPLE = `-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----
`

test('certId of the RFC 9773 Appendix A certificate is the one the RFC gives', () => {
  assert.equal(certId(RFC_9773_EXAMPLE), 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')
  const der = Buffer.from(RFC_9773_EXAMPLE.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  assert.equal(certId(new Uint8Array(der)), 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')
})

test('certIdFromParts keeps a leading zero of the serial', () => {
  const aki = Buffer.from('69885b6b87464041e1b37b847ba0ae2cde01c8d4', 'hex')
  assert.equal(
    certIdFromParts(aki, Buffer.from('0087654321', 'hex')),
    'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
  )
  assert.equal(
    certIdFromParts(aki, Buffer.from('87654321', 'hex')),
    'aYhba4dGQEHhs3uEe6CuLN4ByNQ.h2VDIQ',
  )
  assert.throws(() => certIdFromParts(new Uint8Array(), Buffer.from('01', 'hex')), TypeError)
  assert.throws(() => certIdFromParts(aki, new Uint8Array()), TypeError)
})

test('certId of openssl certificates whose serial has the top bit set, computed from openssl output', async () => {
  await withTempDir(async (dir) => {
    for (const serialHex of ['ff01', '80', '7f', '00c0ffee' /* openssl normalises to c0ffee */]) {
      const { leafPem } = await makeOpensslChain(dir, { serialHex, san: 'DNS:a.example' })
      const aki = await openssl(
        ['x509', '-in', 'leaf.pem', '-noout', '-ext', 'authorityKeyIdentifier'],
        dir,
      )
      const akiHex = /([0-9A-F]{2}(?::[0-9A-F]{2}){19})/.exec(aki)?.[1]?.replace(/:/g, '')
      assert.ok(akiHex, aki)
      // DER INTEGER content: minimal bytes, with 0x00 prepended when the top bit is set.
      const minimal = serialHex.replace(/^(?:00)+/, '')
      const content = Number.parseInt(minimal.slice(0, 2), 16) >= 0x80 ? `00${minimal}` : minimal
      const expected = `${Buffer.from(akiHex, 'hex').toString('base64url')}.${Buffer.from(content, 'hex').toString('base64url')}`
      assert.equal(certId(leafPem), expected, serialHex)
    }
  })
})

test('certId throws ERR_CERTIFICATE without an AKI and on garbage', async () => {
  await withTempDir(async (dir) => {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem'], dir)
    const pem = await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'k.pem',
        '-subj',
        '/CN=x',
        '-days',
        '1',
        '-addext',
        'authorityKeyIdentifier=none',
        '-addext',
        'subjectKeyIdentifier=none',
      ],
      dir,
    )
    assert.throws(
      () => certId(pem),
      (err: unknown) =>
        err instanceof GatehouseError &&
        err.code === 'ERR_CERTIFICATE' &&
        /authorityKeyIdentifier/.test(err.message),
    )
  })
  assert.throws(() => certId('nope'), { code: 'ERR_CERTIFICATE' })
  assert.throws(() => certId(new Uint8Array([1, 2, 3])), { code: 'ERR_CERTIFICATE' })
})
