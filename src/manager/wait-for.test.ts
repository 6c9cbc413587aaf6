import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '../testing/fake-clock.js'
import { waitFor } from './wait-for.js'

function setup() {
  const clock = new FakeClock()
  const waiters = new Set<() => void>()
  const controller = new AbortController()
  let value: string | undefined
  const options = {
    waiters,
    clock,
    timeoutMs: 1000,
    signal: controller.signal,
    onTimeout: () => new Error('timed out'),
  }
  return {
    clock,
    waiters,
    controller,
    options,
    set: (v: string) => (value = v),
    probe: () => value,
  }
}

test('resolves at once when ready, else when a waiter call finds the value', async () => {
  const s = setup()
  s.set('now')
  assert.equal(await waitFor(s.probe, s.options), 'now')
  const t = setup()
  const waiting = waitFor(t.probe, t.options)
  assert.equal(t.waiters.size, 1)
  for (const w of t.waiters) w() // nothing yet: keeps waiting
  assert.equal(t.waiters.size, 1)
  t.set('later')
  for (const w of [...t.waiters]) w()
  assert.equal(await waiting, 'later')
  assert.equal(t.waiters.size, 0)
  assert.equal(t.clock.pending, 0, 'the timeout sleep was cancelled')
})

test('rejects with onTimeout() after timeoutMs of clock time, and on abort', async () => {
  const s = setup()
  const waiting = assert.rejects(waitFor(s.probe, s.options), /timed out/)
  await s.clock.advance(999)
  assert.equal(s.waiters.size, 1)
  await s.clock.advance(1)
  await waiting
  assert.equal(s.waiters.size, 0)

  const t = setup()
  const aborted = waitFor(t.probe, t.options)
  t.controller.abort()
  await assert.rejects(aborted, { code: 'ERR_ABORTED' })
  assert.equal(t.clock.pending, 0)
  await assert.rejects(waitFor(t.probe, t.options), { code: 'ERR_ABORTED' })
})
