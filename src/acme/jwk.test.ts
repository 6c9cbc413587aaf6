import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { algorithmFor, assertSigningKey, exportJwk, jwkThumbprint } from './jwk.js'

test('RFC 7638 §3.1 example thumbprint', () => {
  const n =
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw'
  assert.equal(
    jwkThumbprint({ kty: 'RSA', n, e: 'AQAB' }),
    'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  )
  // The same key through node:crypto gives the same thumbprint.
  const key = createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' })
  assert.equal(jwkThumbprint(exportJwk(key)), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
})

test('algorithm follows the key', () => {
  const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey
  assert.equal(algorithmFor(ec('P-256')), 'ES256')
  assert.equal(algorithmFor(ec('P-384')), 'ES384')
  assert.equal(
    algorithmFor(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    'RS256',
  )
  assert.throws(() => algorithmFor(ec('P-521')), { name: 'TypeError', message: /P-521|secp521r1/ })
  assert.throws(() => algorithmFor(generateKeyPairSync('ed25519').privateKey), {
    name: 'TypeError',
    message: /ed25519/,
  })
})

test('exportJwk keeps only the public members', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = exportJwk(privateKey)
  assert.deepEqual(Object.keys(jwk).sort(), ['crv', 'kty', 'x', 'y'])
  assert.equal(jwk.kty, 'EC')
})

test('assertSigningKey refuses public keys and non-keys', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  assert.throws(() => assertSigningKey(publicKey, 'accountKey'), {
    name: 'TypeError',
    message: /accountKey must be a private KeyObject/,
  })
  assert.throws(() => assertSigningKey('pem' as never, 'accountKey'), { name: 'TypeError' })
})
