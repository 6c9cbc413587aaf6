import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { test } from 'node:test'
import { Agent } from 'undici'
import { AcmeClient } from '../../src/acme/client.js'
import { isAcmeProblem } from '../../src/acme/problem.js'
import { startPebble, type Pebble } from '../helpers/pebble.js'

const ecKey = (namedCurve = 'P-256'): KeyObject =>
  generateKeyPairSync('ec', { namedCurve }).privateKey

function clientFor(pebble: Pebble, accountKey: KeyObject, accountUrl?: string): AcmeClient {
  return new AcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey,
    caCerts: [pebble.listenerCaPem],
    ...(accountUrl === undefined ? {} : { accountUrl }),
  })
}

/** Asserts that `promise` rejects with an ACME problem of `type`, and returns it. */
async function rejectsWith(promise: Promise<unknown>, type: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAcmeProblem(err), `expected an AcmeProblemError, got ${String(err)}`)
    assert.equal(err.code, 'ERR_ACME_PROBLEM')
    assert.equal(err.acmeType, type, err.message)
    return true
  })
}

test('accounts: create, find, update contacts, deactivate', async (t) => {
  const pebble = await startPebble()
  const key = ecKey()
  const client = clientFor(pebble, key)
  t.after(async () => {
    await client.close()
    await pebble.stop()
  })

  // RFC 8555 §7.3.1: a key with no account is told so, and no account appears.
  await rejectsWith(client.findAccount(), 'accountDoesNotExist')
  assert.equal(client.accountUrl, undefined)

  const created = await client.newAccount({
    contact: ['mailto:one@example.com'],
    termsOfServiceAgreed: true,
  })
  assert.equal(created.body.status, 'valid')
  assert.deepEqual(created.body.contact, ['mailto:one@example.com'])
  assert.equal(client.accountUrl, created.url)

  const other = clientFor(pebble, key)
  t.after(() => other.close())
  const found = await other.findAccount()
  assert.equal(found.url, created.url)
  assert.equal(other.accountUrl, created.url)

  const updated = await client.updateAccount({ contact: ['mailto:two@example.com'] })
  assert.deepEqual(updated.body.contact, ['mailto:two@example.com'])

  const deactivated = await client.deactivateAccount()
  assert.equal(deactivated.body.status, 'deactivated')
  await rejectsWith(client.updateAccount({ contact: ['mailto:three@example.com'] }), 'unauthorized')
  await rejectsWith(
    client.newOrder({ identifiers: [{ type: 'dns', value: 'x.example.com' }] }),
    'unauthorized',
  )
})

test('key rollover: the old key is refused, the new key works', async (t) => {
  const pebble = await startPebble()
  const oldKey = ecKey()
  const newKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const client = clientFor(pebble, oldKey)
  t.after(async () => {
    await client.close()
    await pebble.stop()
  })
  const account = await client.newAccount({ termsOfServiceAgreed: true })
  const oldThumb = client.keyAuthorization('tok')
  await client.rolloverKey(newKey)
  assert.notEqual(client.keyAuthorization('tok'), oldThumb, 'now signs with the new key')

  // The same client keeps working, now with RS256.
  const again = await client.updateAccount({ contact: ['mailto:rolled@example.com'] })
  assert.equal(again.url, account.url)

  const withOld = clientFor(pebble, oldKey, account.url)
  const withNew = clientFor(pebble, newKey)
  t.after(() => Promise.all([withOld.close(), withNew.close()]))
  await rejectsWith(withOld.findAccount(), 'accountDoesNotExist')
  assert.equal((await withNew.findAccount()).url, account.url)
})

test('ES384 accounts work too, through an injected dispatcher', async (t) => {
  const pebble = await startPebble()
  const dispatcher = new Agent({ connect: { ca: pebble.listenerCaPem } })
  const client = new AcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey: ecKey('P-384'),
    dispatcher,
  })
  t.after(async () => {
    await client.close()
    await dispatcher.close()
    await pebble.stop()
  })
  const account = await client.newAccount({ termsOfServiceAgreed: true })
  assert.equal(account.body.status, 'valid')
})

test('external account binding (RFC 8555 §7.3.4)', async (t) => {
  const hmacKey = randomBytes(32).toString('base64url')
  const pebble = await startPebble({ eabKeys: { kid1: hmacKey } })
  const clients: AcmeClient[] = []
  const make = (): AcmeClient => {
    const c = clientFor(pebble, ecKey())
    clients.push(c)
    return c
  }
  t.after(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await pebble.stop()
  })
  const dir = await make().directory()
  assert.equal(dir.meta?.externalAccountRequired, true)

  await rejectsWith(make().newAccount({ termsOfServiceAgreed: true }), 'externalAccountRequired')

  const wrong = randomBytes(32).toString('base64url')
  await rejectsWith(
    make().newAccount({
      termsOfServiceAgreed: true,
      externalAccountBinding: { kid: 'kid1', hmacKey: wrong },
    }),
    'unauthorized',
  )

  const bound = await make().newAccount({
    termsOfServiceAgreed: true,
    externalAccountBinding: { kid: 'kid1', hmacKey },
  })
  assert.equal(bound.body.status, 'valid')
})
