import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readCertificateDerFields } from './certificate-der.js'
import { parseCertificate } from './certificate.js'
import { DerError, readElement, readString, readTime, TAG } from './der.js'
import { pemToDer } from './pem.js'
import { openssl, withTempDir } from './openssl-cli.test.helper.js'
import * as x509 from './x509.js'

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')]

test('readElement reads short and long lengths and refuses what is not DER', () => {
  assert.deepEqual(readElement(bytes(0x04, 0x02, 1, 2), 0, 4), { tag: 4, start: 2, end: 4 })
  const long = new Uint8Array(3 + 200)
  long.set([0x04, 0x81, 200])
  assert.deepEqual(readElement(long, 0, long.length), { tag: 4, start: 3, end: 203 })
  const refused: [string, Uint8Array][] = [
    ['indefinite length', bytes(0x30, 0x80, 0, 0)],
    ['non-minimal long form', bytes(0x04, 0x81, 0x05, 1, 2, 3, 4, 5)],
    ['leading zero length octet', bytes(0x04, 0x82, 0x00, 0x85)],
    ['five length octets', bytes(0x04, 0x85, 0, 0, 0, 0, 1)],
    ['multi-byte tag', bytes(0x1f, 0x81, 0x01, 0x00)],
    ['content past the end', bytes(0x04, 0x05, 1, 2)],
    ['truncated length', bytes(0x04, 0x82, 0x01)],
    ['one byte', bytes(0x04)],
  ]
  for (const [what, der] of refused) {
    assert.throws(() => readElement(der, 0, der.length), DerError, what)
  }
})

test('readTime follows RFC 5280: UTCTime 50-99 is 19xx, GeneralizedTime, Z and seconds required', () => {
  const time = (tag: number, s: string): Date => {
    const der = bytes(tag, s.length, ...ascii(s))
    return readTime(der, readElement(der, 0, der.length))
  }
  assert.equal(time(TAG.UTC_TIME, '491231235959Z').toISOString(), '2049-12-31T23:59:59.000Z')
  assert.equal(time(TAG.UTC_TIME, '500101000000Z').toISOString(), '1950-01-01T00:00:00.000Z')
  assert.equal(
    time(TAG.GENERALIZED_TIME, '20510228120000Z').toISOString(),
    '2051-02-28T12:00:00.000Z',
  )
  for (const bad of [
    '4912312359Z',
    '491231235959',
    '491231235959+0100',
    '490230000000Z',
    '491231245959Z',
    '491231236059Z',
    '491231235960Z',
  ]) {
    assert.throws(() => time(TAG.UTC_TIME, bad), DerError, bad)
  }
  assert.throws(() => time(TAG.GENERALIZED_TIME, '20510228120000.5Z'), DerError)
  assert.throws(() => time(TAG.OCTET_STRING, '491231235959Z'), DerError)
})

test('readString decodes the X.520 directory string types', () => {
  const read = (tag: number, content: number[]): string => {
    const der = bytes(tag, content.length, ...content)
    return readString(der, readElement(der, 0, der.length))
  }
  assert.equal(read(TAG.UTF8_STRING, [...Buffer.from('Zürich', 'utf8')]), 'Zürich')
  assert.equal(read(TAG.PRINTABLE_STRING, ascii('Test CA')), 'Test CA')
  assert.equal(read(TAG.TELETEX_STRING, [0x5a, 0xfc]), 'Zü')
  assert.equal(read(TAG.BMP_STRING, [0x00, 0x5a, 0x00, 0xfc]), 'Zü')
  assert.equal(read(TAG.UNIVERSAL_STRING, [0, 0, 0, 0x5a, 0, 1, 0xf6, 0x00]), 'Z\u{1f600}')
  assert.throws(() => read(TAG.INTEGER, [1]), DerError)
})

test('the DER reader agrees with @peculiar/x509 on varied openssl certificates', async () => {
  await withTempDir(async (dir) => {
    const cases: { name: string; args: string[]; san?: string }[] = [
      { name: 'utf8-cn', args: ['-utf8', '-subj', '/O=Ünïcode/CN=Zürich CA'] },
      { name: 'no-cn', args: ['-subj', '/O=No Name'], san: 'DNS:a.example,IP:::1,IP:10.1.2.3' },
      { name: 'gtime', args: ['-subj', '/CN=far', '-days', '10000'], san: 'DNS:*.far.example' },
      {
        name: 'many-names',
        args: ['-subj', '/C=DE/ST=B/CN=first/CN=second'],
        san:
          Array.from({ length: 60 }, (_, i) => `DNS:n${i}.example.org`).join(',') +
          ',IP:2001:db8::ff00:42:8329',
      },
      { name: 'rsa', args: ['-subj', '/CN=rsa'], san: 'DNS:rsa.example' },
    ]
    for (const c of cases) {
      const key =
        c.name === 'rsa'
          ? ['-newkey', 'rsa:2048']
          : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      const ext = c.san ? ['-addext', `subjectAltName=${c.san}`] : []
      const file = join(dir, `${c.name}.pem`)
      await openssl([
        'req',
        '-x509',
        '-nodes',
        ...key,
        '-keyout',
        join(dir, `${c.name}.key`),
        '-out',
        file,
        ...c.args,
        ...ext,
      ])
      const der = pemToDer(await readFile(file, 'utf8'))
      const ours = parseCertificate(der)
      const theirs = new x509.X509Certificate(der)
      const san = theirs.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []
      assert.deepEqual(
        ours.dnsNames,
        san.filter((n) => n.type === 'dns').map((n) => n.value),
        c.name,
      )
      assert.equal(ours.ipAddresses.length, san.filter((n) => n.type === 'ip').length, c.name)
      assert.equal(ours.notBefore.getTime(), theirs.notBefore.getTime(), c.name)
      assert.equal(ours.notAfter.getTime(), theirs.notAfter.getTime(), c.name)
      assert.equal(ours.subjectCommonName, theirs.subjectName.getField('CN')[0], c.name)
      assert.equal(ours.issuerCommonName, theirs.issuerName.getField('CN')[0], c.name)
      assert.equal(
        ours.serialHex,
        theirs.serialNumber.toLowerCase().replace(/^(?:00)+(?=..)/, ''),
        c.name,
      )
    }
    const noCn = parseCertificate(pemToDer(await readFile(join(dir, 'no-cn.pem'), 'utf8')))
    assert.deepEqual(noCn.ipAddresses, ['::1', '10.1.2.3'])
    assert.equal(noCn.subjectCommonName, undefined)
  })
})

test('readCertificateDerFields refuses trailing bytes and a truncated certificate', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'c.pem')
    await openssl([
      'req',
      '-x509',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-keyout',
      join(dir, 'k'),
      '-out',
      file,
      '-subj',
      '/CN=t',
    ])
    const der = pemToDer(await readFile(file, 'utf8'))
    assert.equal(readCertificateDerFields(der).subjectCommonName, 't')
    const withTail = new Uint8Array(der.length + 1)
    withTail.set(der)
    assert.throws(() => readCertificateDerFields(withTail), { code: 'ERR_CERTIFICATE' })
    assert.throws(() => readCertificateDerFields(der.subarray(0, der.length - 10)), {
      code: 'ERR_CERTIFICATE',
    })
  })
})
