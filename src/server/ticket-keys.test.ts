import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GatehouseError } from '../errors.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { FakeClock } from '../testing/fake-clock.js'
import {
  activeTicketKey,
  parseTicketKeys,
  rotateTicketKeys,
  rotationDue,
  serializeTicketKeys,
  TICKET_KEYS_STORAGE_KEY,
  TicketKeyRing,
  type TicketKeyState,
} from './ticket-keys.js'

const MIN = 60_000
const HOUR = 60 * MIN
const schedule = { rotationMs: 12 * HOUR, leadMs: 3 * MIN }
const secret = (fill: number): Buffer => Buffer.alloc(48, fill)

test('rotationDue: empty ring, then only once the successor is within the lead time', () => {
  const t0 = Date.UTC(2025, 0, 1)
  const one: TicketKeyState = { keys: [{ notBefore: t0, secret: secret(1) }] }
  const cases: [TicketKeyState, number, boolean][] = [
    [{ keys: [] }, t0, true],
    [one, t0, false],
    [one, t0 + 12 * HOUR - 3 * MIN - 1, false],
    [one, t0 + 12 * HOUR - 3 * MIN, true],
    [one, t0 + 30 * HOUR, true],
  ]
  for (const [state, now, due] of cases)
    assert.equal(rotationDue(state, now, schedule), due, `${now}`)
})

test('rotateTicketKeys: successor announced for the end of the current key, active key kept', () => {
  const t0 = Date.UTC(2025, 0, 1)
  let state = rotateTicketKeys({ keys: [] }, t0, schedule, secret(1))
  assert.deepEqual(
    state.keys.map((k) => k.notBefore),
    [t0],
  )
  state = rotateTicketKeys(state, t0 + 12 * HOUR - 2 * MIN, schedule, secret(2))
  assert.deepEqual(
    state.keys.map((k) => k.notBefore),
    [t0, t0 + 12 * HOUR],
  )
  assert.equal(activeTicketKey(state, t0 + 12 * HOUR - 1)?.secret[0], 1)
  assert.equal(activeTicketKey(state, t0 + 12 * HOUR)?.secret[0], 2)
  // Two rotations later the oldest key is dropped: the active one and its predecessor stay.
  state = rotateTicketKeys(state, t0 + 24 * HOUR - MIN, schedule, secret(3))
  state = rotateTicketKeys(state, t0 + 36 * HOUR - MIN, schedule, secret(4))
  assert.deepEqual(
    state.keys.map((k) => k.secret[0]),
    [2, 3, 4],
  )
})

test('rotateTicketKeys: after a long outage the new key takes over at once', () => {
  const t0 = Date.UTC(2025, 0, 1)
  const old = rotateTicketKeys({ keys: [] }, t0, schedule, secret(1))
  const later = t0 + 5 * 24 * HOUR
  const state = rotateTicketKeys(old, later, schedule, secret(2))
  assert.equal(activeTicketKey(state, later)?.secret[0], 2)
  assert.throws(() => rotateTicketKeys(old, later, schedule, Buffer.alloc(32)), RangeError)
})

test('activeTicketKey: a clock behind every key uses the earliest', () => {
  const state: TicketKeyState = { keys: [{ notBefore: 1000, secret: secret(7) }] }
  assert.equal(activeTicketKey(state, 0)?.secret[0], 7)
  assert.equal(activeTicketKey({ keys: [] }, 0), undefined)
})

test('serialize/parse round trip; damaged rings are ERR_STORAGE naming the key', () => {
  const state: TicketKeyState = {
    keys: [
      { notBefore: Date.UTC(2025, 0, 2), secret: secret(2) },
      { notBefore: Date.UTC(2025, 0, 1), secret: secret(1) },
    ],
  }
  const back = parseTicketKeys(Buffer.from(serializeTicketKeys(state)))
  assert.deepEqual(
    back.keys.map((k) => k.secret[0]),
    [1, 2],
  )
  const bad = [
    'nope',
    '{"version":2,"keys":[]}',
    '{"version":1,"keys":[{"notBefore":"x","secret":""}]}',
    `{"version":1,"keys":[{"notBefore":"2025-01-01T00:00:00Z","secret":"${Buffer.alloc(47).toString('base64')}"}]}`,
  ]
  for (const text of bad) {
    assert.throws(
      () => parseTicketKeys(Buffer.from(text)),
      (err: unknown) =>
        err instanceof GatehouseError &&
        err.code === 'ERR_STORAGE' &&
        err.message.includes(TICKET_KEYS_STORAGE_KEY),
      text,
    )
  }
})

test('options are validated with the bad value in the message', () => {
  const storage = new MemoryStorage()
  assert.throws(() => new TicketKeyRing({ storage, pollMs: 0 }), /pollMs is 0/)
  assert.throws(() => new TicketKeyRing({ storage, rotationMs: NaN }), /rotationMs is NaN/)
  assert.throws(
    () => new TicketKeyRing({ storage, rotationMs: 3 * MIN, pollMs: MIN }),
    (err: unknown) => err instanceof RangeError && /under 4x pollMs/.test(err.message),
  )
})

test('rings starting together on one storage converge on one private key', async () => {
  // The system clock: the losers wait for the lock by sleeping on it.
  const storage = new MemoryStorage()
  const rings = Array.from({ length: 8 }, () => new TicketKeyRing({ storage }))
  await Promise.all(rings.map((r) => r.refresh()))
  const first = rings[0]?.current
  assert.equal(first?.length, 48)
  for (const r of rings) assert.deepEqual(r.current, first)
  const stored = parseTicketKeys((await storage.get(TICKET_KEYS_STORAGE_KEY)) as Uint8Array)
  assert.equal(stored.keys.length, 1)
})

test('the loop announces, then applies the successor at its time, in every ring', async () => {
  const clock = new FakeClock()
  const storage = new MemoryStorage({ clock })
  const options = { storage, clock, rotationMs: HOUR, pollMs: MIN }
  const a = new TicketKeyRing(options)
  const b = new TicketKeyRing(options)
  const applied: Buffer[] = []
  b.subscribe((k) => applied.push(k))
  await a.start()
  await clock.advance(10_000)
  await b.start()
  try {
    const k1 = a.current
    assert.deepEqual(b.current, k1)
    await clock.advance(HOUR - 3 * MIN + 1)
    // Announced but not yet in use.
    const stored = parseTicketKeys((await storage.get(TICKET_KEYS_STORAGE_KEY)) as Uint8Array)
    assert.equal(stored.keys.length, 2)
    assert.deepEqual(a.current, k1)
    await clock.advanceTo(Date.UTC(2025, 0, 1) + HOUR)
    assert.notDeepEqual(a.current, k1)
    assert.deepEqual(b.current, a.current)
    assert.equal(applied.length, 2)
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
  assert.equal(clock.pending, 0)
})

test('a damaged stored ring is reported and replaced', async () => {
  const storage = new MemoryStorage()
  await storage.put(TICKET_KEYS_STORAGE_KEY, 'garbage')
  const errors: unknown[] = []
  const ring = new TicketKeyRing({ storage, onError: (e) => errors.push(e) })
  await ring.refresh()
  assert.equal(ring.current?.length, 48)
  assert.equal((errors[0] as GatehouseError).code, 'ERR_STORAGE')
  const stored = parseTicketKeys((await storage.get(TICKET_KEYS_STORAGE_KEY)) as Uint8Array)
  assert.deepEqual(stored.keys[0]?.secret, ring.current)
})

test('a failing storage keeps the current key and retries on the next poll, not in a busy loop', async () => {
  const clock = new FakeClock()
  const storage = new MemoryStorage({ clock })
  let failing = false
  const flaky = Object.assign(Object.create(storage) as MemoryStorage, {
    get: (key: string) =>
      failing ? Promise.reject(new GatehouseError('ERR_STORAGE', 'disk gone')) : storage.get(key),
    lock: storage.lock.bind(storage),
    put: storage.put.bind(storage),
  })
  const errors: unknown[] = []
  const ring = new TicketKeyRing({
    storage: flaky,
    clock,
    pollMs: MIN,
    onError: (e) => errors.push(e),
  })
  await ring.start()
  try {
    const key = ring.current
    failing = true
    await clock.advance(5 * MIN)
    assert.equal(errors.length, 5)
    assert.deepEqual(ring.current, key)
  } finally {
    await ring.stop()
  }
})
