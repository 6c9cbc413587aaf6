import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { GatehouseError } from '../errors.js'
import {
  certificateMatchesKey,
  coversName,
  parseCertificate,
  type CertificateInfo,
} from './certificate.js'
import { importPrivateKeyPem } from './keys.js'
import { pemToDer } from './pem.js'
import { makeOpensslChain, openssl, withTempDir } from './openssl-cli.test.helper.js'

test('parseCertificate agrees with openssl on an openssl-made leaf and CA', async () => {
  await withTempDir(async (dir) => {
    const { caPem, leafPem, leafKeyPath, caKeyPath } = await makeOpensslChain(dir, {
      serialHex: '87654321abcd',
      san: 'DNS:a.example.com,DNS:*.b.example.com,IP:192.0.2.7,IP:2001:DB8:0:0::5',
      leafCn: 'a.example.com',
    })
    const leafKeyPem = await readFile(leafKeyPath, 'utf8')
    // A key block in front of the certificate (a combined PEM file) is skipped.
    const info = parseCertificate(leafKeyPem + leafPem)
    assert.deepEqual(info.dnsNames, ['a.example.com', '*.b.example.com'])
    assert.deepEqual(info.ipAddresses, ['192.0.2.7', '2001:db8::5'])
    assert.equal(info.serialHex, '87654321abcd')
    assert.equal(info.serialDerHex, '0087654321abcd')
    assert.equal(info.subjectCommonName, 'a.example.com')
    assert.equal(info.issuerCommonName, 'Test CA')
    assert.equal(info.isCa, false)

    const out = (args: string[]): Promise<string> =>
      openssl(['x509', '-in', 'leaf.pem', '-noout', ...args], dir)
    assert.match(await out(['-serial']), new RegExp(`serial=${info.serialHex}`, 'i'))
    const fingerprint = (await out(['-fingerprint', '-sha256']))
      .split('=')[1]
      ?.replace(/[:\s]/g, '')
      .toLowerCase()
    assert.equal(info.sha256FingerprintHex, fingerprint)
    const start = (await out(['-startdate'])).trim().replace('notBefore=', '')
    const end = (await out(['-enddate'])).trim().replace('notAfter=', '')
    assert.equal(info.notBefore.getTime(), new Date(start).getTime())
    assert.equal(info.notAfter.getTime(), new Date(end).getTime())
    assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 86_400_000)
    assert.equal(info.publicKeyPem, await out(['-pubkey']))
    const ski = await openssl(
      ['x509', '-in', 'ca.pem', '-noout', '-ext', 'subjectKeyIdentifier'],
      dir,
    )
    assert.equal(
      info.authorityKeyIdentifierHex,
      ski.split('\n')[1]?.replace(/[:\s]/g, '').toLowerCase(),
    )

    const ca = parseCertificate(pemToDer(caPem))
    assert.equal(ca.isCa, true)
    assert.equal(ca.subjectCommonName, 'Test CA')
    assert.deepEqual(ca.dnsNames, [])

    const leafKey = importPrivateKeyPem(leafKeyPem)
    const caKey = importPrivateKeyPem(await readFile(caKeyPath, 'utf8'))
    assert.equal(certificateMatchesKey(leafPem, leafKey), true)
    assert.equal(certificateMatchesKey(leafPem, caKey), false)
    assert.equal(certificateMatchesKey(caPem, caKey), true)
  })
})

test('parseCertificate of a leaf without CN or AKI leaves those fields out', async () => {
  await withTempDir(async (dir) => {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem'], dir)
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'k.pem',
        '-subj',
        '/O=Nobody',
        '-days',
        '1',
        '-out',
        'c.pem',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-addext',
        'authorityKeyIdentifier=none',
        '-addext',
        'subjectKeyIdentifier=none',
        '-set_serial',
        '5',
      ],
      dir,
    )
    const info = parseCertificate(await readFile(`${dir}/c.pem`, 'utf8'))
    assert.equal('subjectCommonName' in info, false)
    assert.equal('authorityKeyIdentifierHex' in info, false)
    assert.deepEqual(info.ipAddresses, ['127.0.0.1'])
    assert.equal(info.serialHex, '05')
  })
})

test('parseCertificate throws ERR_CERTIFICATE on what is not a certificate', () => {
  const notCert = [
    'hello',
    '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
  ]
  for (const input of notCert) {
    assert.throws(
      () => parseCertificate(input),
      (err: unknown) => err instanceof GatehouseError && err.code === 'ERR_CERTIFICATE',
    )
  }
})

const NAMES: Pick<CertificateInfo, 'dnsNames' | 'ipAddresses'> = {
  dnsNames: ['example.com', '*.example.com', 'Mixed.Example.NET', '*.deep.example.org'],
  ipAddresses: ['192.0.2.1', '2001:db8::1'],
}

const COVERS: [string, boolean][] = [
  ['example.com', true],
  ['EXAMPLE.com.', true],
  ['a.example.com', true],
  ['A.Example.Com', true],
  ['a.b.example.com', false],
  ['.example.com', false],
  ['*.example.com', false],
  ['xexample.com', false],
  ['mixed.example.net', true],
  ['a.mixed.example.net', false],
  ['x.deep.example.org', true],
  ['deep.example.org', false],
  ['example.org', false],
  ['192.0.2.1', true],
  ['192.0.2.10', false],
  ['2001:DB8:0:0:0:0:0:1', true],
  ['2001:db8::0:1', true],
  ['2001:db8::2', false],
  ['::ffff:192.0.2.1', false],
  ['', false],
]

test('coversName applies RFC 6125 wildcard rules and compares IPs by value', () => {
  for (const [name, expected] of COVERS) assert.equal(coversName(NAMES, name), expected, name)
  // An IP address is never matched against dNSName entries, even a wildcard that looks like its parent.
  assert.equal(coversName({ dnsNames: ['*.0.2.1'], ipAddresses: [] }, '192.0.2.1'), false)
  assert.equal(coversName({ dnsNames: ['192.0.2.1'], ipAddresses: [] }, '192.0.2.1'), false)
})
