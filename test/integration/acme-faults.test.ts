/**
 * What Pebble 2.4.0 cannot do on its own (ARI, profiles, rate limits, outages), through the ACME
 * front fixture, which passes everything else to a real Pebble.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { AcmeClient } from '../../src/acme/client.js'
import { isAcmeProblem } from '../../src/acme/problem.js'
import type { Clock } from '../../src/clock.js'
import { GatehouseError, throwIfAborted } from '../../src/errors.js'
import { startAcmeFront, type AcmeFront } from '../helpers/acme-front.js'
import { startPebble, type Pebble } from '../helpers/pebble.js'

const CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'
const DOMAIN = [{ type: 'dns' as const, value: 'front.example.com' }]

/** A clock whose sleeps return at once and are recorded, so Retry-After waits cost no time. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => Date.now(),
    async sleep(ms, signal) {
      sleeps.push(ms)
      throwIfAborted(signal)
    },
  }
}

interface Setup {
  pebble: Pebble
  front: AcmeFront
  client: AcmeClient
}

async function setup(
  t: TestContext,
  options: { clock?: Clock; maxRetryAfterMs?: number; profiles?: Record<string, string> } = {},
): Promise<Setup> {
  const { clock, maxRetryAfterMs } = options
  const pebble = await startPebble({ nonceReject: 0 })
  const front = await startAcmeFront(pebble, options.profiles ? { profiles: options.profiles } : {})
  const client = new AcmeClient({
    directoryUrl: front.directoryUrl,
    accountKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    caCerts: [pebble.listenerCaPem],
    ...(clock ? { clock } : {}),
    ...(maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs }),
  })
  t.after(async () => {
    await client.close()
    await front.close()
    await pebble.stop()
  })
  await client.newAccount({ termsOfServiceAgreed: true })
  return { pebble, front, client }
}

test('rateLimited and 503 are waited out per Retry-After, then succeed', async (t) => {
  const clock = recordingClock()
  const { front, client } = await setup(t, { clock })
  front.fault({ endpoint: 'new-order', kind: 'rateLimited', retryAfterSeconds: 3 })
  front.fault({ endpoint: 'new-order', kind: 'unavailable', retryAfterSeconds: 2 })
  const order = await client.newOrder({ identifiers: DOMAIN })
  assert.equal(order.body.status, 'pending')
  assert.deepEqual(clock.sleeps, [3000, 2000])
  assert.deepEqual(
    front.requests.filter((r) => r.endpoint === 'new-order').map((r) => r.status),
    [429, 503, 201],
  )
})

test('a Retry-After beyond maxRetryAfterMs is thrown at once', async (t) => {
  const clock = recordingClock()
  const { front, client } = await setup(t, { clock, maxRetryAfterMs: 5_000 })
  front.fault({ endpoint: 'new-order', kind: 'rateLimited', retryAfterSeconds: 3600 })
  await assert.rejects(client.newOrder({ identifiers: DOMAIN }), (err: unknown) => {
    assert.ok(isAcmeProblem(err, 'rateLimited'))
    assert.equal(err.retryAfterMs, 3_600_000)
    return true
  })
  assert.deepEqual(clock.sleeps, [])
  assert.equal(front.count('new-order'), 1)
})

test('rate limit retries are capped', async (t) => {
  const clock = recordingClock()
  const { front, client } = await setup(t, { clock })
  front.fault({ endpoint: 'new-order', kind: 'rateLimited', retryAfterSeconds: 1, times: 10 })
  await assert.rejects(client.newOrder({ identifiers: DOMAIN }), (err: unknown) =>
    isAcmeProblem(err, 'rateLimited'),
  )
  assert.equal(clock.sleeps.length, 3)
  assert.equal(front.count('new-order'), 4)
})

test('a connection reset is a network error and is not retried', async (t) => {
  const { front, client } = await setup(t)
  front.fault({ endpoint: 'new-order', kind: 'reset' })
  await assert.rejects(client.newOrder({ identifiers: DOMAIN }), { code: 'ERR_ACME_NETWORK' })
  assert.equal(front.count('new-order'), 1)
})

test('abort while waiting out a Retry-After', async (t) => {
  const { front, client } = await setup(t)
  front.fault({ endpoint: 'new-order', kind: 'rateLimited', retryAfterSeconds: 30 })
  const started = Date.now()
  await assert.rejects(
    client.newOrder({ identifiers: DOMAIN }, { signal: AbortSignal.timeout(200) }),
    { code: 'ERR_ABORTED' },
  )
  assert.ok(Date.now() - started < 5_000)
})

test('abort during a slow request', async (t) => {
  const { front, client } = await setup(t)
  front.fault({ endpoint: 'new-order', kind: 'slow', delayMs: 10_000 })
  const started = Date.now()
  await assert.rejects(
    client.newOrder({ identifiers: DOMAIN }, { signal: AbortSignal.timeout(200) }),
    { code: 'ERR_ABORTED' },
  )
  assert.ok(Date.now() - started < 5_000)
})

test('profiles: offered ones are sent, others refused naming what is offered', async (t) => {
  // The directory is read once per client, so the profiles must be there from the start.
  const profiles = { classic: 'the usual', shortlived: 'six days' }
  const { front, client } = await setup(t, { profiles })
  const order = await client.newOrder({ identifiers: DOMAIN, profile: 'shortlived' })
  assert.equal(order.body.status, 'pending')
  assert.deepEqual(front.orderProfiles, ['shortlived'])
  await assert.rejects(
    client.newOrder({ identifiers: DOMAIN, profile: 'tlsserver' }),
    (err: unknown) => {
      assert.ok(err instanceof GatehouseError)
      assert.equal(err.code, 'ERR_UNSUPPORTED')
      assert.match(err.message, /tlsserver.*classic, shortlived/)
      return true
    },
  )
  assert.equal(front.count('new-order'), 1, 'the refused profile never reached the CA')
})

test('ARI: renewalInfo with Retry-After clamping, and replaces on newOrder', async (t) => {
  const { front, client } = await setup(t)
  const start = new Date(Date.now() + 86_400_000)
  const end = new Date(Date.now() + 2 * 86_400_000)
  front.setRenewalWindow({ start, end })
  const plain = await client.renewalInfo(CERT_ID)
  assert.equal(Date.parse(plain.info.suggestedWindow.start), start.getTime())
  assert.equal(Date.parse(plain.info.suggestedWindow.end), end.getTime())
  assert.equal(plain.retryAfterMs, 6 * 3600_000)

  front.setRenewalWindow({ start, end, retryAfterSeconds: 5 }, CERT_ID)
  assert.equal((await client.renewalInfo(CERT_ID)).retryAfterMs, 60_000)
  front.setRenewalWindow({ start, end, retryAfterSeconds: 7 * 86_400 }, CERT_ID)
  assert.equal((await client.renewalInfo(CERT_ID)).retryAfterMs, 24 * 3600_000)

  await client.newOrder({ identifiers: DOMAIN, replaces: CERT_ID })
  assert.deepEqual(front.replaces, [CERT_ID])
})

test('plain Pebble: no ARI, no profiles', async (t) => {
  const pebble = await startPebble({ nonceReject: 0 })
  const client = new AcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    caCerts: [pebble.listenerCaPem],
  })
  t.after(async () => {
    await client.close()
    await pebble.stop()
  })
  await client.newAccount({ termsOfServiceAgreed: true })
  await assert.rejects(client.renewalInfo(CERT_ID), { code: 'ERR_UNSUPPORTED' })
  await assert.rejects(client.newOrder({ identifiers: DOMAIN, profile: 'classic' }), {
    code: 'ERR_UNSUPPORTED',
    message: /offers no profiles/,
  })
  // RFC 9773 §5: `replaces` is dropped for a CA without ARI, so the order still goes through.
  const order = await client.newOrder({ identifiers: DOMAIN, replaces: CERT_ID })
  assert.equal(order.body.status, 'pending')
  assert.equal(order.body.replaces, undefined)
})
