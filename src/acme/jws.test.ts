import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac, generateKeyPairSync, verify, type KeyObject } from 'node:crypto'
import { test } from 'node:test'
import { exportJwk } from './jwk.js'
import { signExternalAccountBinding, signJws, type FlattenedJws } from './jws.js'
import { dns01TxtValue, keyAuthorization } from './key-authorization.js'

const decode = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString())

function verifies(jws: FlattenedJws, key: KeyObject, hash: string, ec: boolean): boolean {
  const input = Buffer.from(`${jws.protected}.${jws.payload}`)
  const signature = Buffer.from(jws.signature, 'base64url')
  return verify(hash, input, ec ? { key, dsaEncoding: 'ieee-p1363' } : key, signature)
}

const cases = [
  {
    alg: 'ES256',
    hash: 'sha256',
    ec: true,
    sigBytes: 64,
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  },
  {
    alg: 'ES384',
    hash: 'sha384',
    ec: true,
    sigBytes: 96,
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  },
  {
    alg: 'RS256',
    hash: 'sha256',
    ec: false,
    sigBytes: 256,
    make: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  },
] as const

for (const c of cases) {
  test(`${c.alg}: signature verifies with node:crypto, jwk when no kid`, () => {
    const { privateKey, publicKey } = c.make()
    const jws = signJws(
      privateKey,
      { hello: 'world' },
      { url: 'https://ca/new-acct', nonce: 'abc' },
    )
    assert.ok(verifies(jws, publicKey, c.hash, c.ec))
    assert.equal(Buffer.from(jws.signature, 'base64url').length, c.sigBytes)
    assert.deepEqual(decode(jws.protected), {
      alg: c.alg,
      url: 'https://ca/new-acct',
      nonce: 'abc',
      jwk: exportJwk(publicKey),
    })
    assert.deepEqual(decode(jws.payload), { hello: 'world' })
    // A tampered payload must not verify.
    const tampered = { ...jws, payload: Buffer.from('{"hello":"mars"}').toString('base64url') }
    assert.ok(!verifies(tampered, publicKey, c.hash, c.ec))
  })
}

test('kid replaces jwk (RFC 8555 §6.2); POST-as-GET has an empty payload (§6.3)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jws = signJws(privateKey, undefined, {
    url: 'https://ca/order/1',
    nonce: 'n',
    kid: 'https://ca/acct/7',
  })
  assert.deepEqual(decode(jws.protected), {
    alg: 'ES256',
    url: 'https://ca/order/1',
    nonce: 'n',
    kid: 'https://ca/acct/7',
  })
  assert.equal(jws.payload, '')
  assert.ok(verifies(jws, publicKey, 'sha256', true))
  // `{}` is not POST-as-GET.
  assert.equal(signJws(privateKey, {}, { url: 'u', kid: 'k' }).payload, 'e30')
})

test('EAB: HS256 over the account JWK, kid and url in the header (RFC 8555 §7.3.4)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const mac = Buffer.alloc(32, 7)
  const eab = signExternalAccountBinding(privateKey, {
    kid: 'kid-1',
    hmacKey: mac.toString('base64url'),
    url: 'https://ca/new-acct',
  })
  assert.deepEqual(decode(eab.protected), {
    alg: 'HS256',
    kid: 'kid-1',
    url: 'https://ca/new-acct',
  })
  assert.deepEqual(decode(eab.payload), exportJwk(publicKey))
  const expected = createHmac('sha256', mac).update(`${eab.protected}.${eab.payload}`).digest()
  assert.equal(eab.signature, expected.toString('base64url'))
  assert.throws(
    () => signExternalAccountBinding(privateKey, { kid: 'k', hmacKey: 'not base64url!', url: 'u' }),
    { name: 'TypeError', message: /not base64url/ },
  )
  assert.throws(
    () => signExternalAccountBinding(privateKey, { kid: '', hmacKey: 'AA', url: 'u' }),
    {
      name: 'TypeError',
      message: /kid/,
    },
  )
})

test('key authorization (§8.1) and dns-01 TXT value (§8.4)', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const ka = keyAuthorization('tok-en_1', key)
  assert.match(ka, /^tok-en_1\.[A-Za-z0-9_-]{43}$/)
  // Checked against openssl, an independent SHA-256.
  const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], {
    input: ka,
    timeout: 30_000,
  })
  assert.equal(dns01TxtValue(ka), digest.toString('base64url'))
  assert.match(dns01TxtValue(ka), /^[A-Za-z0-9_-]{43}$/)
  assert.throws(() => keyAuthorization('', key), { name: 'TypeError' })
})
