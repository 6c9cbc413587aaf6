import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startBind, type Bind } from '../helpers/bind.js'
import { freePort } from '../helpers/ports.js'
import type { Clock } from '../../src/clock.js'
import { GatehouseError, throwIfAborted } from '../../src/errors.js'
import { Rfc2136DnsProvider } from '../../src/issuance/dns/rfc2136-provider.js'
import { waitForTxt } from '../../src/issuance/dns/propagation.js'

let bind: Bind
let provider: Rfc2136DnsProvider

before(async () => {
  bind = await startBind()
  provider = new Rfc2136DnsProvider({ server: bind.address, tsig: bind.tsig })
})
after(async () => {
  await bind?.stop()
})

/** A clock whose sleeps return at once and move time forward, recording each pause. */
class FakeClock implements Clock {
  #now = 1_000_000
  readonly sleeps: number[] = []
  now(): number {
    return this.#now
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal)
    this.sleeps.push(ms)
    this.#now += ms
    await Promise.resolve()
  }
}

async function propagationError(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof GatehouseError, String(err))
    assert.equal(err.code, 'ERR_DNS_PROPAGATION')
    assert.doesNotMatch(err.message, /<nil>|undefined|null/)
    return err
  }
  assert.fail('waitForTxt resolved but should have timed out')
}

test('resolves once a record presented later becomes visible', async () => {
  const fqdn = '_acme-challenge.later.example.test.'
  const waiting = waitForTxt(fqdn, 'late-value', {
    resolver: bind.address,
    timeoutMs: 10_000,
    intervalMs: 100,
  })
  // The first lookups see NODATA; a cached negative answer would hide the record for 60 s.
  await new Promise((r) => setTimeout(r, 300))
  await provider.present(fqdn, 'late-value')
  await waiting
})

test('times out naming the name, the resolver and the values it saw (fake clock)', async () => {
  const fqdn = '_acme-challenge.seen.example.test.'
  await provider.present(fqdn, 'other-value')
  const clock = new FakeClock()
  const err = await propagationError(
    waitForTxt(fqdn, 'wanted-value', { resolver: bind.address, timeoutMs: 10_000, clock }),
  )
  // First check immediate, then every 2 s (the default) up to the 10 s deadline.
  assert.deepEqual(clock.sleeps, [2000, 2000, 2000, 2000, 2000])
  assert.equal(
    err.message,
    `TXT "wanted-value" at ${fqdn} not visible at ${bind.address} after 10000 ms (6 checks); last saw TXT "other-value"`,
  )
})

test('times out reporting "no TXT values" for a name that has none', async () => {
  const err = await propagationError(
    waitForTxt('_acme-challenge.empty.example.test', 'v', {
      resolver: bind.address,
      timeoutMs: 300,
      intervalMs: 100,
    }),
  )
  assert.match(err.message, /at _acme-challenge\.empty\.example\.test\. not visible/)
  assert.match(err.message, /last saw no TXT values$/)
})

test('times out reporting the resolver error code (REFUSED outside the served zones)', async () => {
  const err = await propagationError(
    waitForTxt('_acme-challenge.elsewhere.invalid.', 'v', {
      resolver: bind.address,
      timeoutMs: 300,
      intervalMs: 100,
    }),
  )
  assert.match(err.message, /last saw error EREFUSED$/)
})

test('times out reporting the error of a resolver that does not answer', async () => {
  const silent = `127.0.0.1:${await freePort({ udp: true })}`
  const err = await propagationError(
    waitForTxt('_acme-challenge.x.example.test.', 'v', {
      resolver: silent,
      timeoutMs: 300,
      intervalMs: 100,
    }),
  )
  assert.match(err.message, new RegExp(`not visible at ${silent} .*last saw error E[A-Z]+$`))
})

test('abort stops the wait with ERR_ABORTED', async () => {
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 200)
  await assert.rejects(
    waitForTxt('_acme-challenge.never.example.test.', 'v', {
      resolver: bind.address,
      timeoutMs: 60_000,
      intervalMs: 50,
      signal: controller.signal,
    }),
    { code: 'ERR_ABORTED' },
  )
})

test('bad options name the bad value', async () => {
  await assert.rejects(
    waitForTxt('a.test.', 'v', { resolver: 'localhost:53' }),
    /"localhost:53" must be an IP/,
  )
  await assert.rejects(waitForTxt('a.test.', 'v', { resolver: '127.0.0.1:0' }), RangeError)
  await assert.rejects(waitForTxt('a.test.', 'v', { timeoutMs: 0 }), /timeoutMs must be a positive/)
  await assert.rejects(
    waitForTxt('a.test.', 'v', { intervall: 5 } as never),
    /did you mean "intervalMs"/,
  )
})
