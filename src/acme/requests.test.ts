import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { newAccountPayload, newOrderPayload, revocationPayload } from './requests.js'
import type { Directory } from './types.js'

const base: Directory = {
  newNonce: 'https://ca/nonce',
  newAccount: 'https://ca/acct',
  newOrder: 'https://ca/order',
  revokeCert: 'https://ca/revoke',
  keyChange: 'https://ca/key',
}
const identifiers = [{ type: 'dns' as const, value: 'a.example' }]
const CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'

test('newOrder: profiles must be offered; replaces only with ARI', () => {
  const withAll: Directory = {
    ...base,
    renewalInfo: 'https://ca/ari',
    meta: { profiles: { classic: 'c', tlsserver: 't' } },
  }
  assert.deepEqual(
    newOrderPayload({ identifiers, profile: 'classic', replaces: CERT_ID }, withAll),
    {
      identifiers,
      profile: 'classic',
      replaces: CERT_ID,
    },
  )
  assert.deepEqual(newOrderPayload({ identifiers, replaces: CERT_ID }, base), { identifiers })
  assert.throws(() => newOrderPayload({ identifiers, profile: 'x' }, withAll), {
    code: 'ERR_UNSUPPORTED',
    message: /"x" is not offered by this CA; it offers: classic, tlsserver/,
  })
  assert.throws(() => newOrderPayload({ identifiers, profile: 'classic' }, base), {
    code: 'ERR_UNSUPPORTED',
    message: /offers no profiles/,
  })
  assert.throws(() => newOrderPayload({ identifiers: [] }, base), { name: 'TypeError' })
  assert.throws(() => newOrderPayload({ identifiers, replaces: 'bad' }, withAll), {
    name: 'TypeError',
  })
})

test('newAccount: only what was asked, EAB bound to the newAccount URL', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  assert.deepEqual(newAccountPayload({}, key, base), {})
  const payload = newAccountPayload(
    {
      contact: ['mailto:a@b'],
      termsOfServiceAgreed: true,
      externalAccountBinding: { kid: 'k', hmacKey: 'AAAA' },
    },
    key,
    base,
  )
  assert.deepEqual(payload['contact'], ['mailto:a@b'])
  const eab = payload['externalAccountBinding'] as { protected: string }
  const header = JSON.parse(Buffer.from(eab.protected, 'base64url').toString()) as { url: string }
  assert.equal(header.url, base.newAccount)
})

test('revocation payload validates the reason (RFC 5280 §5.3.1)', () => {
  const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])
  assert.deepEqual(revocationPayload(der, 4), { certificate: 'MAMCAQE', reason: 4 })
  assert.deepEqual(revocationPayload(der, undefined), { certificate: 'MAMCAQE' })
  assert.throws(() => revocationPayload(der, 11), { name: 'RangeError', message: /11/ })
  assert.throws(() => revocationPayload(new Uint8Array(), 1), { name: 'TypeError' })
})
