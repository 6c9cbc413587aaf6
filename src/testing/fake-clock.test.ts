import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FakeClock, MAX_TIMERS_PER_ADVANCE } from './fake-clock.js'

const DAY = 86_400_000

test('now() starts at the given time and only moves when told', async () => {
  const clock = new FakeClock(new Date('2026-03-01T00:00:00Z'))
  assert.equal(clock.now(), Date.parse('2026-03-01T00:00:00Z'))
  await new Promise((r) => setTimeout(r, 5))
  assert.equal(clock.now(), Date.parse('2026-03-01T00:00:00Z'))
  await clock.advance(1500)
  assert.equal(clock.now(), Date.parse('2026-03-01T00:00:01.500Z'))
  await clock.tick(500)
  assert.equal(clock.now(), Date.parse('2026-03-01T00:00:02Z'))
  assert.equal(new FakeClock().now(), Date.UTC(2025, 0, 1))
  assert.throws(() => new FakeClock(new Date('nope')), { name: 'RangeError' })
})

test('sleep resolves only when time reaches its deadline, in deadline order', async () => {
  const clock = new FakeClock(0)
  const woke: string[] = []
  const track = (name: string, ms: number): Promise<void> =>
    clock.sleep(ms).then(() => {
      woke.push(`${name}@${clock.now()}`)
    })
  const all = Promise.all([track('c', 300), track('a', 100), track('b', 200), track('a2', 100)])
  assert.equal(clock.pending, 4)
  await clock.advance(99)
  assert.deepEqual(woke, [])
  await clock.advance(101)
  assert.deepEqual(woke, ['a@100', 'a2@100', 'b@200'])
  assert.equal(clock.now(), 200)
  assert.equal(clock.pending, 1)
  await clock.advanceTo(new Date(1000))
  await all
  assert.deepEqual(woke, ['a@100', 'a2@100', 'b@200', 'c@300'])
  assert.equal(clock.now(), 1000)
  assert.equal(clock.pending, 0)
})

test('chains of sleeps armed by woken code fire within one advance', async () => {
  const clock = new FakeClock(0)
  const seen: number[] = []
  const loop = (async () => {
    for (let i = 0; i < 180; i++) {
      await clock.sleep(DAY)
      await Promise.resolve()
      seen.push(clock.now())
    }
  })()
  await clock.advance(180 * DAY)
  await loop
  assert.equal(seen.length, 180)
  assert.deepEqual(
    seen.slice(0, 3),
    [1, 2, 3].map((d) => d * DAY),
  )
  assert.equal(seen.at(-1), 180 * DAY)
})

test('runAll fires everything, including re-armed sleeps, and reports the count', async () => {
  const clock = new FakeClock(0)
  const chain = (async () => {
    await clock.sleep(10)
    await clock.sleep(20)
  })()
  void clock.sleep(5)
  assert.equal(await clock.runAll(), 3)
  await chain
  assert.equal(clock.now(), 30)
  assert.equal(clock.pending, 0)
})

test('abort rejects with AbortedError and removes the timer', async () => {
  const clock = new FakeClock(0)
  const ac = new AbortController()
  const p = clock.sleep(1000, ac.signal)
  assert.equal(clock.pending, 1)
  ac.abort(new Error('stop'))
  await assert.rejects(p, { code: 'ERR_ABORTED', name: 'AbortedError' })
  assert.equal(clock.pending, 0)
  await assert.rejects(clock.sleep(10, ac.signal), { code: 'ERR_ABORTED' })
  await assert.rejects(clock.sleep(0, ac.signal), { code: 'ERR_ABORTED' })
  const ac2 = new AbortController()
  const zero = clock.sleep(0, ac2.signal)
  ac2.abort()
  await assert.rejects(zero, { code: 'ERR_ABORTED' })
})

test('sleep(0) resolves on the next turn without advance', async () => {
  const clock = new FakeClock(0)
  await clock.sleep(0)
  await clock.sleep(-5)
  assert.equal(clock.now(), 0)
})

test('time cannot go back, and bad arguments are refused', async () => {
  const clock = new FakeClock(1000)
  await assert.rejects(clock.advance(-1), { name: 'RangeError', message: /advance\(-1\)/ })
  await assert.rejects(clock.advanceTo(new Date(999)), { name: 'RangeError' })
  await assert.rejects(clock.sleep(Number.NaN), { name: 'TypeError' })
})

test('a loop re-arming zero-delay-in-clock-time sleeps forever hits the named cap', async () => {
  const clock = new FakeClock(0)
  let stop = false
  const spin = (async () => {
    while (!stop) await clock.sleep(1)
  })()
  await assert.rejects(clock.runAll(), {
    name: 'RangeError',
    message: new RegExp(String(MAX_TIMERS_PER_ADVANCE)),
  })
  stop = true
  await clock.advance(1)
  await spin
})
