import { test } from 'node:test'
import assert from 'node:assert/strict'
import { derToPem, pemToDer, splitPemChain } from './pem.js'

const bytes = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

test('derToPem writes 64-column base64 and pemToDer reads it back', () => {
  const der = bytes(150, 7)
  const pem = derToPem(der, 'CERTIFICATE')
  const lines = pem.trimEnd().split('\n')
  assert.equal(lines[0], '-----BEGIN CERTIFICATE-----')
  assert.equal(lines.at(-1), '-----END CERTIFICATE-----')
  assert.ok(lines.slice(1, -1).every((l) => l.length <= 64))
  assert.equal(lines[1]?.length, 64)
  assert.deepEqual(pemToDer(pem), der)
})

test('pemToDer tolerates CRLF and surrounding text, and rejects no block or bad base64', () => {
  const der = bytes(80, 3)
  const crlf = `junk before\r\n${derToPem(der, 'PRIVATE KEY').replace(/\n/g, '\r\n')}after`
  assert.deepEqual(pemToDer(crlf), der)
  assert.throws(() => pemToDer('no pem here'), /no PEM block/)
  assert.throws(() => pemToDer('-----BEGIN X-----\n@@@@\n-----END X-----\n'), /valid base64/)
  assert.throws(() => pemToDer('-----BEGIN X-----\n-----END X-----\n'), /valid base64/)
  assert.throws(() => pemToDer('-----BEGIN X-----\nAAAA\n-----END Y-----\n'), /no PEM block/)
})

test('derToPem rejects a bad label', () => {
  assert.throws(() => derToPem(bytes(3, 1), 'certificate'), RangeError)
  assert.throws(() => derToPem(bytes(3, 1), ''), RangeError)
})

test('splitPemChain returns the certificates in order, skipping other blocks and text', () => {
  const a = bytes(100, 1)
  const b = bytes(120, 2)
  const c = bytes(90, 3)
  const chain = [
    'Subject: leaf\r\n',
    derToPem(a, 'CERTIFICATE').replace(/\n/g, '\r\n'),
    '\r\n\r\nissuer text\n',
    derToPem(bytes(40, 9), 'PRIVATE KEY'),
    derToPem(b, 'CERTIFICATE'),
    derToPem(c, 'CERTIFICATE').trimEnd(),
  ].join('')
  const certs = splitPemChain(chain)
  assert.equal(certs.length, 3)
  assert.deepEqual(
    certs.map((p) => pemToDer(p)),
    [a, b, c],
  )
  assert.ok(certs.every((p) => p.endsWith('-----END CERTIFICATE-----\n') && !p.includes('\r')))
  assert.deepEqual(splitPemChain(''), [])
  assert.deepEqual(splitPemChain('just text'), [])
})
