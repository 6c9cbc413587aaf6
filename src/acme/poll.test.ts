import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Clock } from '../clock.js'
import { throwIfAborted } from '../errors.js'
import { MAX_BACKOFF_INTERVAL_MS, MAX_POLL_INTERVAL_MS, pollUntil } from './poll.js'

/** A fake clock: sleeping moves time forward at once and is recorded. */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    async sleep(ms, signal) {
      throwIfAborted(signal)
      sleeps.push(ms)
      now += ms
    },
  }
}

/** A resource that becomes `done` on fetch number `doneAt`, with optional Retry-After per fetch. */
function resource(doneAt: number, retryAfter: (n: number) => number | undefined = () => undefined) {
  let n = 0
  return async () => {
    n++
    return { value: n >= doneAt ? 'valid' : 'pending', retryAfterMs: retryAfter(n) }
  }
}

const isValid = (v: string): boolean => v === 'valid'
const same = (v: string): string => v

test('backs off from 50 ms, doubling up to the cap', async () => {
  const clock = fakeClock()
  const value = await pollUntil('thing', resource(10), isValid, same, { clock })
  assert.equal(value, 'valid')
  assert.deepEqual(clock.sleeps, [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000])
  assert.ok(clock.sleeps.every((s) => s <= MAX_BACKOFF_INTERVAL_MS))
})

test('honours Retry-After, clamped to MAX_POLL_INTERVAL_MS', async () => {
  const clock = fakeClock()
  await pollUntil(
    'thing',
    resource(4, (n) => [3_000, 3_600_000, 0][n - 1]),
    isValid,
    same,
    {
      clock,
    },
  )
  assert.deepEqual(clock.sleeps, [3_000, MAX_POLL_INTERVAL_MS, 0])
})

test('gives up after the overall bound with ERR_RETRY_EXHAUSTED', async () => {
  const clock = fakeClock()
  await assert.rejects(
    pollUntil('order https://ca/o/1', resource(Infinity), isValid, same, {
      clock,
      timeoutMs: 10_000,
    }),
    { code: 'ERR_RETRY_EXHAUSTED', message: /order https:\/\/ca\/o\/1 is still pending/ },
  )
  const waited = clock.sleeps.reduce((a, b) => a + b, 0)
  assert.equal(waited, 10_000, 'the last sleep is cut to the deadline')
})

test('is cancellable', async () => {
  const clock = fakeClock()
  const controller = new AbortController()
  let fetches = 0
  const fetch = async () => {
    if (++fetches === 3) controller.abort()
    return { value: 'pending', retryAfterMs: undefined }
  }
  await assert.rejects(
    pollUntil('thing', fetch, isValid, same, { clock, signal: controller.signal }),
    { code: 'ERR_ABORTED' },
  )
  assert.equal(fetches, 3)
})
