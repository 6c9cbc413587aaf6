import type { Clock } from '../clock.js'
import { GatehouseError, throwIfAborted } from '../errors.js'
import type { Lock } from './storage.js'

/** Default lease length of a lock (ms). */
export const DEFAULT_LOCK_TTL_MS = 30_000
/** Default bound on waiting for a lock (ms). */
export const DEFAULT_LOCK_WAIT_MS = 60_000
/** First pause between attempts to take a held lock (ms); doubles up to the maximum. */
export const INITIAL_LOCK_POLL_MS = 10
/** Longest pause between attempts to take a held lock (ms). */
export const MAX_LOCK_POLL_MS = 250
/** Hard cap on attempts in one `lock()` call, whatever the clock says. */
export const MAX_LOCK_ATTEMPTS = 100_000

/** A lease as a backend stores it. */
export interface LeaseRecord {
  readonly token: number
  readonly expiresAt: number
}

/**
 * What a storage backend provides so {@link acquireLock} and {@link LeasedLock} can build the `Lock`
 * contract on it. Each method is one atomic step against the backend.
 */
export interface LeaseBackend {
  /** Takes the lock if it is free, released or expired; undefined when someone holds it. */
  tryAcquire(name: string, ttlMs: number): Promise<LeaseRecord | undefined>
  /** Extends our lease; the new `expiresAt`, or undefined when it was lost (expired or taken). */
  renew(name: string, token: number, ttlMs: number): Promise<number | undefined>
  /** Frees our lease if it is still ours; does nothing otherwise. */
  release(name: string, token: number): Promise<void>
}

export interface LockOptions {
  ttlMs?: number
  waitMs?: number
  signal?: AbortSignal
}

/** Validated lock options. Throws TypeError/RangeError naming the bad value. */
export function resolveLockOptions(
  name: string,
  options: LockOptions,
): { ttlMs: number; waitMs: number } {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`lock name must be a non-empty string, got ${JSON.stringify(name)}`)
  }
  const ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`)
  }
  if (!Number.isFinite(waitMs) || waitMs < 0) {
    throw new RangeError(`waitMs must be zero or a positive number of milliseconds, got ${waitMs}`)
  }
  return { ttlMs, waitMs }
}

/**
 * Waits for the named lock: one attempt, then pauses that double from {@link INITIAL_LOCK_POLL_MS}
 * to {@link MAX_LOCK_POLL_MS} (with jitter, so processes polling the same lock do not move in
 * lockstep) until `waitMs` runs out.
 */
export async function acquireLock(
  backend: LeaseBackend,
  clock: Clock,
  name: string,
  options: LockOptions & { autoRenew: boolean },
): Promise<Lock> {
  const { ttlMs, waitMs } = resolveLockOptions(name, options)
  const { signal } = options
  const deadline = clock.now() + waitMs
  let pause = INITIAL_LOCK_POLL_MS
  for (let attempt = 1; attempt <= MAX_LOCK_ATTEMPTS; attempt++) {
    throwIfAborted(signal)
    const record = await backend.tryAcquire(name, ttlMs)
    if (record) return new LeasedLock(backend, name, record, ttlMs, options.autoRenew)
    const remaining = deadline - clock.now()
    if (remaining <= 0) break
    await clock.sleep(Math.min(pause * (0.5 + Math.random() / 2), remaining), signal)
    pause = Math.min(pause * 2, MAX_LOCK_POLL_MS)
  }
  throw new GatehouseError(
    'ERR_LOCKED',
    `lock "${name}" is still held by another holder after waiting ${waitMs} ms; ` +
      'retry later, raise waitMs, or check for a stuck process holding it',
  )
}

/** One attempt at the named lock. */
export async function tryAcquireLock(
  backend: LeaseBackend,
  name: string,
  options: LockOptions & { autoRenew: boolean },
): Promise<Lock | undefined> {
  const { ttlMs } = resolveLockOptions(name, options)
  throwIfAborted(options.signal)
  const record = await backend.tryAcquire(name, ttlMs)
  return record && new LeasedLock(backend, name, record, ttlMs, options.autoRenew)
}

/** The `Lock` handed to callers: renews itself every ttl/3 until released or lost. */
export class LeasedLock implements Lock {
  readonly name: string
  readonly token: number
  #expiresAt: number
  readonly #backend: LeaseBackend
  readonly #ttlMs: number
  #timer: NodeJS.Timeout | undefined
  #released = false
  /** Renew and release run one at a time, so a release never races an in-flight renewal. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(
    backend: LeaseBackend,
    name: string,
    record: LeaseRecord,
    ttlMs: number,
    autoRenew: boolean,
  ) {
    this.#backend = backend
    this.name = name
    this.token = record.token
    this.#expiresAt = record.expiresAt
    this.#ttlMs = ttlMs
    if (autoRenew) this.#schedule()
  }

  get expiresAt(): number {
    return this.#expiresAt
  }

  async renew(options: { signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal)
    await this.#serial(async () => {
      if (this.#released) throw this.#lost('it was released')
      const expiresAt = await this.#backend.renew(this.name, this.token, this.#ttlMs)
      if (expiresAt === undefined) {
        this.#stop()
        throw this.#lost('its lease expired or another holder took it')
      }
      this.#expiresAt = expiresAt
    })
  }

  async release(options: { signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal)
    await this.#serial(async () => {
      if (this.#released) return
      this.#released = true
      this.#stop()
      await this.#backend.release(this.name, this.token)
    })
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step)
    this.#queue = run.catch(() => undefined)
    return run
  }

  /**
   * A real, unref'd timer rather than `clock.sleep`: a held lock must never keep the process alive,
   * and `Clock` has no unref'd sleep. Only the renewal cadence uses it; expiry is judged by the Clock.
   */
  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.renew().then(
        () => {
          if (!this.#released) this.#schedule()
        },
        // A lost lease is reported to the holder by its next renew(); nothing more to do here.
        () => undefined,
      )
    }, this.#ttlMs / 3)
    this.#timer.unref()
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #lost(why: string): GatehouseError {
    return new GatehouseError(
      'ERR_LOCKED',
      `lock "${this.name}" (token ${this.token}) is no longer held: ${why}; ` +
        'stop the work it protected and take the lock again',
    )
  }
}
