import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '../testing/fake-clock.js'
import { TokenBucket } from './token-bucket.js'

test('TokenBucket: a burst of capacity, then capacity per interval, never more than capacity', async () => {
  const clock = new FakeClock(0)
  const bucket = new TokenBucket({ capacity: 3, intervalMs: 60_000 }, clock)
  assert.deepEqual(
    [bucket.take(), bucket.take(), bucket.take(), bucket.take()],
    [true, true, true, false],
  )
  await clock.advance(19_999)
  assert.equal(bucket.take(), false, 'one token takes 20 s to come back')
  await clock.advance(1)
  assert.equal(bucket.take(), true)
  assert.equal(bucket.take(), false)
  await clock.advance(3_600_000)
  assert.equal(bucket.available, 3, 'capped at capacity after a long idle')
})

test('TokenBucket: a clock stepping back does not drain or overfill the bucket', () => {
  let now = 1_000_000
  const clock = { now: () => now, sleep: () => Promise.resolve() }
  const bucket = new TokenBucket({ capacity: 2, intervalMs: 1000 }, clock)
  assert.equal(bucket.take(), true)
  now -= 500_000
  assert.equal(bucket.available, 1)
  now += 500
  assert.equal(bucket.available, 2)
})

test('TokenBucket: bad limits are refused', () => {
  const clock = new FakeClock(0)
  assert.throws(() => new TokenBucket({ capacity: 0, intervalMs: 1 }, clock), RangeError)
  assert.throws(() => new TokenBucket({ capacity: 1, intervalMs: 0 }, clock), RangeError)
})
