import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Identifier } from '../acme/types.js'
import { createCsr } from './csr.js'
import { generateKey, type KeyType } from './keys.js'
import { openssl, withTempDir } from './openssl-cli.test.helper.js'

/** `openssl req -verify -text` of a DER CSR; rejects when openssl cannot verify the self-signature. */
async function inspect(der: Uint8Array): Promise<string> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'req.der'), der)
    const text = await openssl(
      ['req', '-inform', 'DER', '-in', 'req.der', '-verify', '-noout', '-text'],
      dir,
    )
    assert.match(text, /verify OK/)
    return text
  })
}

const MIXED: Identifier[] = [
  { type: 'dns', value: 'example.com' },
  { type: 'dns', value: '*.example.com' },
  { type: 'ip', value: '192.0.2.1' },
  { type: 'ip', value: '2001:DB8::1' },
]

const SIGNATURES: [KeyType, RegExp][] = [
  ['ec256', /Signature Algorithm: ecdsa-with-SHA256/],
  ['ec384', /Signature Algorithm: ecdsa-with-SHA384/],
  ['rsa2048', /Signature Algorithm: sha256WithRSAEncryption/],
]

for (const [type, signature] of SIGNATURES) {
  test(`createCsr with an ${type} key: SANs of both kinds, CN, signature openssl verifies`, async () => {
    const der = await createCsr(MIXED, await generateKey(type))
    const text = await inspect(der)
    assert.match(text, signature)
    assert.match(text, /Subject: CN ?= ?example\.com\n/)
    assert.match(
      text,
      /DNS:example\.com, DNS:\*\.example\.com, IP Address:192\.0\.2\.1, IP Address:2001:DB8:0:0:0:0:0:1\n/,
    )
  })
}

test('createCsr with only IP identifiers has no CN at all', async () => {
  const der = await createCsr(
    [
      { type: 'ip', value: '10.0.0.1' },
      { type: 'ip', value: '::1' },
    ],
    await generateKey('ec256'),
  )
  const text = await inspect(der)
  assert.doesNotMatch(text, /CN ?=/)
  assert.match(text, /IP Address:10\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/)
})

test('createCsr takes the CN from the first DNS name, and omits it when longer than 64', async () => {
  const key = await generateKey('ec256')
  const first = await inspect(
    await createCsr(
      [
        { type: 'ip', value: '10.0.0.1' },
        { type: 'dns', value: 'b.example' },
        { type: 'dns', value: 'a.example' },
      ],
      key,
    ),
  )
  assert.match(first, /Subject: CN ?= ?b\.example\n/)
  const long = `${'a'.repeat(60)}.example.com`
  const text = await inspect(
    await createCsr(
      [
        { type: 'dns', value: long },
        { type: 'dns', value: 'short.example' },
      ],
      key,
    ),
  )
  assert.doesNotMatch(text, /CN ?=/)
  assert.match(text, new RegExp(`DNS:${long}, DNS:short\\.example`))
})

test('createCsr rejects empty lists, bad identifiers and unsupported keys', async () => {
  const key = await generateKey('ec256')
  await assert.rejects(createCsr([], key), RangeError)
  await assert.rejects(createCsr([{ type: 'ip', value: '300.1.1.1' }], key), /300\.1\.1\.1/)
  await assert.rejects(createCsr([{ type: 'dns', value: '' }], key), RangeError)
  await assert.rejects(createCsr([{ type: 'email', value: 'a@b' } as never], key), /"email"/)
  const { generateKeyPairSync } = await import('node:crypto')
  const ed = generateKeyPairSync('ed25519').privateKey
  await assert.rejects(createCsr([{ type: 'dns', value: 'a.example' }], ed), /unsupported key/)
})
