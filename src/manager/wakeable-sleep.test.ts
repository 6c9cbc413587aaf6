import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { systemClock } from '../clock.js'
import { parseIdentifier } from '../issuance/identifiers.js'
import { newManaged } from './managed-name.js'
import { wakeableSleep } from './wakeable-sleep.js'

const HOUR = 3_600_000

function setup(): { m: ReturnType<typeof newManaged>; stop: AbortController } {
  return { m: newManaged([parseIdentifier('a.test')], () => 0.5), stop: new AbortController() }
}

test('a sleep woken through m.wake resolves early, and leaves nothing behind', async () => {
  const { m, stop } = setup()
  const sleeping = wakeableSleep(systemClock, stop.signal, m, HOUR)
  assert.ok(m.wake, 'the loop can be woken while it sleeps')
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1)
  m.wake.abort()
  assert.equal(await sleeping, undefined)
  assert.equal(m.wake, undefined)
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0, 'the stop listener is removed')
})

test('a sleep rejects with ERR_ABORTED when the manager stops', async () => {
  const { m, stop } = setup()
  const sleeping = wakeableSleep(systemClock, stop.signal, m, HOUR)
  stop.abort(new Error('stopped'))
  await assert.rejects(sleeping, { code: 'ERR_ABORTED' })
  assert.equal(m.wake, undefined)
})

test('a sleep that runs its course resolves', async () => {
  const { m, stop } = setup()
  await wakeableSleep(systemClock, stop.signal, m, 1)
  assert.equal(m.wake, undefined)
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0)
})
