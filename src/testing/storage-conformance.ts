import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Clock } from '../clock.js'
import type { Lock, Storage } from '../storage/storage.js'

/** A clock the suite can move forward to expire leases without waiting. */
export interface FakeClockLike extends Clock {
  advance(ms: number): void
}

type MakeStorage = () => Promise<{ storage: Storage; cleanup(): Promise<void> }>

/** Short lease for the expiry tests (ms). */
const SHORT_TTL_MS = 300
/** Size of each value in the torn-write test: large enough that a write takes several syscalls. */
const LARGE_VALUE_BYTES = 512 * 1024
/** Number of puts in the torn-write test. */
const ATOMIC_PUTS = 50

/**
 * Registers node:test tests that check every clause of the {@link Storage} contract against one
 * backend. `make` returns a fresh, empty storage and its cleanup. With `clock` (the clock the backend
 * was built with), lease expiry is simulated by advancing it; without, by stalling the event loop past
 * the lease, which is exactly what a stuck holder looks like.
 */
export function storageConformance(
  name: string,
  make: MakeStorage,
  options: { clock?: FakeClockLike } = {},
): void {
  const use = async (body: (storage: Storage) => Promise<void>): Promise<void> => {
    const made = await make()
    try {
      await body(made.storage)
    } finally {
      await made.cleanup()
    }
  }
  const expire = (ms: number): void => {
    if (options.clock) return options.clock.advance(ms)
    const until = Date.now() + ms
    while (Date.now() < until) {
      // Busy-wait on purpose: the holder's renewal timer must not get a chance to run.
    }
  }
  describe(`Storage conformance: ${name}`, () => {
    valueTests(use)
    lockTests(use, expire)
  })
}

type Use = (body: (storage: Storage) => Promise<void>) => Promise<void>

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes && Buffer.from(bytes).toString('utf8')

function valueTests(use: Use): void {
  test('get of an absent key is undefined; put then get round-trips strings and bytes', () =>
    use(async (s) => {
      assert.equal(await s.get('absent/key'), undefined)
      await s.put('a/string', 'héllo')
      assert.equal(text(await s.get('a/string')), 'héllo')
      await s.put('a/bytes', new Uint8Array([0, 1, 255]), { private: true })
      assert.deepEqual([...((await s.get('a/bytes')) ?? [])], [0, 1, 255])
      await s.put('a/string', 'replaced')
      assert.equal(text(await s.get('a/string')), 'replaced')
      assert.equal(await s.get('a'), undefined, 'a folder has no value')
    }))

  test('stat gives size and modification time; undefined when absent or a folder', () =>
    use(async (s) => {
      assert.equal(await s.stat('nope'), undefined)
      await s.put('dir/file', 'four')
      const info = await s.stat('dir/file')
      assert.equal(info?.size, 4)
      assert.ok(info.modified instanceof Date && !Number.isNaN(info.modified.getTime()))
      assert.equal(await s.stat('dir'), undefined)
    }))

  test('delete removes the key and everything below it, not siblings; absent is fine', () =>
    use(async (s) => {
      await s.delete('never/there')
      for (const key of ['a/b/c', 'a/b/d/e', 'a/bc', 'a/x']) await s.put(key, key)
      await s.delete('a/b')
      assert.deepEqual(await s.list('a', { recursive: true }), ['a/bc', 'a/x'])
      assert.equal(await s.get('a/b/c'), undefined)
      await s.delete('a/x')
      assert.equal(await s.get('a/x'), undefined)
      assert.equal(text(await s.get('a/bc')), 'a/bc')
    }))

  test('list: direct children (values and folders) or every value below, sorted', () =>
    use(async (s) => {
      for (const key of ['p/z', 'p/a/1', 'p/a/2/deep', 'p/m', 'q']) await s.put(key, 'v')
      assert.deepEqual(await s.list('p'), ['p/a', 'p/m', 'p/z'])
      assert.deepEqual(await s.list('p', { recursive: true }), [
        'p/a/1',
        'p/a/2/deep',
        'p/m',
        'p/z',
      ])
      assert.deepEqual(await s.list(''), ['p', 'q'])
      assert.deepEqual(await s.list('', { recursive: true }), [
        'p/a/1',
        'p/a/2/deep',
        'p/m',
        'p/z',
        'q',
      ])
      assert.deepEqual(await s.list('absent'), [])
      assert.deepEqual(await s.list('absent', { recursive: true }), [])
    }))

  test('a key holds a value or other keys, never both: ERR_STORAGE', () =>
    use(async (s) => {
      await s.put('v', 'value')
      await assert.rejects(s.put('v/below', 'x'), { code: 'ERR_STORAGE' })
      await s.put('f/inside', 'x')
      await assert.rejects(s.put('f', 'x'), { code: 'ERR_STORAGE' })
      assert.equal(text(await s.get('v')), 'value')
      assert.equal(text(await s.get('f/inside')), 'x')
    }))

  test('keys that could escape or are malformed are TypeErrors on every method', () =>
    use(async (s) => {
      const bad = ['', '..', 'a/../../../foo', '/etc/passwd', 'a//b', 'a/', 'a\\b', 'a\0b', './a']
      for (const key of bad) {
        await assert.rejects(s.get(key), TypeError, `get ${JSON.stringify(key)}`)
        await assert.rejects(s.put(key, 'x'), TypeError, `put ${JSON.stringify(key)}`)
        await assert.rejects(s.delete(key), TypeError, `delete ${JSON.stringify(key)}`)
        await assert.rejects(s.stat(key), TypeError, `stat ${JSON.stringify(key)}`)
        if (key !== '') await assert.rejects(s.list(key), TypeError, `list ${JSON.stringify(key)}`)
      }
      assert.deepEqual(await s.list('', { recursive: true }), [])
    }))

  test(`put is atomic: readers during ${ATOMIC_PUTS} large puts never see a torn value`, () =>
    use(async (s) => {
      const fill = (i: number): Uint8Array => new Uint8Array(LARGE_VALUE_BYTES).fill(i)
      await s.put('big', fill(0))
      let writing = true
      let reads = 0
      const reader = async (): Promise<void> => {
        while (writing) {
          const value = await s.get('big')
          assert.ok(value, 'the key never disappears during a replace')
          assert.equal(value.byteLength, LARGE_VALUE_BYTES)
          const first = value[0]
          assert.ok(
            value.every((b) => b === first),
            `torn value seen at read ${reads}`,
          )
          reads++
        }
      }
      const writer = async (): Promise<void> => {
        try {
          for (let i = 1; i <= ATOMIC_PUTS; i++) await s.put('big', fill(i % 256))
        } finally {
          writing = false
        }
      }
      await Promise.all([writer(), reader(), reader(), reader()])
      assert.ok(reads > 0)
      assert.equal((await s.get('big'))?.[0], ATOMIC_PUTS % 256)
    }))

  test('an aborted signal rejects every method with ERR_ABORTED', () =>
    use(async (s) => {
      const signal = AbortSignal.abort()
      await assert.rejects(s.get('k', { signal }), { code: 'ERR_ABORTED' })
      await assert.rejects(s.put('k', 'v', { signal }), { code: 'ERR_ABORTED' })
      await assert.rejects(s.delete('k', { signal }), { code: 'ERR_ABORTED' })
      await assert.rejects(s.list('', { signal }), { code: 'ERR_ABORTED' })
      await assert.rejects(s.stat('k', { signal }), { code: 'ERR_ABORTED' })
      await assert.rejects(s.lock('k', { signal }), { code: 'ERR_ABORTED' })
      assert.equal(await s.get('k'), undefined, 'the aborted put wrote nothing')
    }))
}

/** Resolves to true if `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending')
  const winner = await Promise.race([promise.then(() => true), sleep(ms, marker)])
  return winner !== marker
}

function lockTests(use: Use, expire: (ms: number) => void): void {
  test('lock is exclusive: a second lock() waits until the first is released', () =>
    use(async (s) => {
      const first = await s.lock('exclusive')
      const second = s.lock('exclusive', { waitMs: 10_000 })
      assert.equal(await settlesWithin(second, 200), false, 'second lock must wait')
      await first.release()
      const got = await second
      assert.equal(got.name, 'exclusive')
      assert.ok(got.token > first.token, `token ${got.token} must exceed ${first.token}`)
      await got.release()
    }))

  test('tryLock: undefined while held, a lock once released; names are independent', () =>
    use(async (s) => {
      const held = await s.lock('try')
      assert.equal(await s.tryLock('try'), undefined)
      assert.equal(await s.tryLock('TRY'), undefined, 'names equal under safeKeyPart share a lock')
      const other = await s.tryLock('try-other')
      assert.ok(other, 'another name is free')
      await held.release()
      const again = await s.tryLock('try')
      assert.ok(again)
      await Promise.all([again.release(), other.release()])
    }))

  test('fencing tokens strictly increase across acquisitions', () =>
    use(async (s) => {
      const tokens: number[] = []
      for (let i = 0; i < 4; i++) {
        const lock = await s.lock('tokens')
        tokens.push(lock.token)
        await lock.release()
      }
      for (let i = 1; i < tokens.length; i++) {
        assert.ok(tokens[i]! > tokens[i - 1]!, `tokens ${tokens.join(',')} must increase`)
      }
    }))

  test('waitMs running out rejects with ERR_LOCKED naming the lock and the wait', () =>
    use(async (s) => {
      const held = await s.lock('busy')
      try {
        await assert.rejects(s.lock('busy', { waitMs: 150 }), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'ERR_LOCKED')
          assert.match(err.message, /"busy"/)
          assert.match(err.message, /150 ms/)
          return true
        })
      } finally {
        await held.release()
      }
    }))

  test('aborting a waiting lock() rejects with ERR_ABORTED', () =>
    use(async (s) => {
      const held = await s.lock('abort')
      try {
        const controller = new AbortController()
        const waiting = s.lock('abort', { waitMs: 10_000, signal: controller.signal })
        setTimeout(() => controller.abort(), 50)
        await assert.rejects(waiting, { code: 'ERR_ABORTED' })
      } finally {
        await held.release()
      }
    }))

  test('renew extends the lease; release is idempotent; renew after release is ERR_LOCKED', () =>
    use(async (s) => {
      const lock = await s.lock('renew', { ttlMs: 5_000 })
      const before = lock.expiresAt
      await sleep(20)
      await lock.renew()
      assert.ok(lock.expiresAt > before, 'expiresAt moved forward')
      await lock.release()
      await lock.release()
      await assert.rejects(lock.renew(), { code: 'ERR_LOCKED' })
    }))

  test('a held lease is renewed automatically past its ttl', () =>
    use(async (s) => {
      // Twice the short TTL, so a loaded machine's timer delays do not look like a stalled holder.
      const ttlMs = SHORT_TTL_MS * 2
      const lock = await s.lock('auto', { ttlMs })
      try {
        await sleep(ttlMs * 2.5)
        assert.equal(await s.tryLock('auto'), undefined, 'still held thanks to renewal')
        assert.ok(lock.expiresAt > Date.now(), 'expiresAt follows the renewals')
      } finally {
        await lock.release()
      }
    }))

  test('an expired lease is taken over; the old holder can neither renew nor release it', () =>
    use(async (s) => {
      const old = await s.lock('lease', { ttlMs: SHORT_TTL_MS })
      expire(SHORT_TTL_MS + 50)
      const taker: Lock | undefined = await s.tryLock('lease', { ttlMs: 10_000 })
      assert.ok(taker, 'the expired lease can be taken')
      assert.ok(taker.token > old.token)
      await assert.rejects(old.renew(), { code: 'ERR_LOCKED' })
      await old.release()
      assert.equal(
        await s.tryLock('lease'),
        undefined,
        "old release must not free the taker's lock",
      )
      await taker.release()
      const next = await s.tryLock('lease')
      assert.ok(next && next.token > taker.token)
      await next.release()
    }))

  test('bad lock options are RangeError/TypeError', () =>
    use(async (s) => {
      await assert.rejects(s.lock('x', { ttlMs: 0 }), RangeError)
      await assert.rejects(s.lock('x', { waitMs: -1 }), RangeError)
      await assert.rejects(s.tryLock('x', { ttlMs: Number.NaN }), RangeError)
      await assert.rejects(s.lock(''), TypeError)
    }))
}
