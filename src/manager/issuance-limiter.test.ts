import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IssuanceLimiter } from './issuance-limiter.js'

test('at most `max` holders; waiters are served first come, first served', async () => {
  const limiter = new IssuanceLimiter(2)
  const signal = new AbortController().signal
  await limiter.acquire(signal)
  await limiter.acquire(signal)
  assert.equal(limiter.free, 0)
  const order: string[] = []
  const a = limiter.acquire(signal).then(() => order.push('a'))
  const b = limiter.acquire(signal).then(() => order.push('b'))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(order, [])
  limiter.release()
  await a
  assert.deepEqual(order, ['a'])
  limiter.release()
  await b
  assert.deepEqual(order, ['a', 'b'])
  limiter.release()
  limiter.release()
  assert.equal(limiter.free, 2)
})

test('an aborted waiter leaves the queue with ERR_ABORTED and takes no slot', async () => {
  const limiter = new IssuanceLimiter(1)
  await limiter.acquire(new AbortController().signal)
  const controller = new AbortController()
  const waiting = limiter.acquire(controller.signal)
  const next = limiter.acquire(new AbortController().signal)
  controller.abort()
  await assert.rejects(waiting, { code: 'ERR_ABORTED' })
  limiter.release()
  await next // the slot went to the waiter behind the aborted one
  assert.equal(limiter.free, 0)
  await assert.rejects(limiter.acquire(controller.signal), { code: 'ERR_ABORTED' })
})

test('the limit must be a positive integer', () => {
  assert.throws(() => new IssuanceLimiter(0), /issuance limit 0 must be an integer >= 1/)
  assert.throws(() => new IssuanceLimiter(1.5), RangeError)
})
