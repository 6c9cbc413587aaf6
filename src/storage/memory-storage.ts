import { systemClock, type Clock } from '../clock.js'
import { GatehouseError, throwIfAborted } from '../errors.js'
import { safeKeyPart, validateKey, validatePrefix } from './keys.js'
import {
  acquireLock,
  tryAcquireLock,
  type LeaseBackend,
  type LeaseRecord,
  type LockOptions,
} from './lease.js'
import type { Lock, Storage, StorageStat } from './storage.js'

export interface MemoryStorageOptions {
  /** Judges lease expiry and stamps `modified`. Default: the system clock. */
  clock?: Clock
  /**
   * Renew held locks every ttl/3 (default true). Turn off only to simulate a stalled holder in tests.
   */
  autoRenew?: boolean
}

interface Entry {
  readonly value: Uint8Array
  readonly modified: number
}

/**
 * The {@link Storage} contract in memory, for tests and for one process that needs no persistence.
 * Values are copied in and out, so callers cannot change stored bytes by mutating a buffer.
 */
export class MemoryStorage implements Storage {
  readonly #values = new Map<string, Entry>()
  readonly #leases: MemoryLeases
  readonly #clock: Clock
  readonly #autoRenew: boolean

  constructor(options: MemoryStorageOptions = {}) {
    this.#clock = options.clock ?? systemClock
    this.#autoRenew = options.autoRenew ?? true
    this.#leases = new MemoryLeases(this.#clock)
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    validateKey(key)
    throwIfAborted(options.signal)
    const entry = this.#values.get(key)
    return entry && new Uint8Array(entry.value)
  }

  async put(
    key: string,
    value: Uint8Array | string,
    options: { private?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const parts = validateKey(key)
    throwIfAborted(options.signal)
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/')
      if (this.#values.has(ancestor)) throw conflict(key, `"${ancestor}" holds a value`)
    }
    if (this.#keysBelow(key).length > 0) throw conflict(key, 'it is a folder')
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
    this.#values.set(key, { value: new Uint8Array(bytes), modified: this.#clock.now() })
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    validateKey(key)
    throwIfAborted(options.signal)
    this.#values.delete(key)
    for (const below of this.#keysBelow(key)) this.#values.delete(below)
  }

  async list(
    prefix: string,
    options: { recursive?: boolean; signal?: AbortSignal } = {},
  ): Promise<string[]> {
    validatePrefix(prefix)
    throwIfAborted(options.signal)
    const base = prefix === '' ? '' : `${prefix}/`
    const found = new Set<string>()
    for (const key of this.#keysBelow(prefix)) {
      found.add(options.recursive ? key : base + (key.slice(base.length).split('/')[0] ?? ''))
    }
    return [...found].sort()
  }

  async stat(
    key: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<StorageStat | undefined> {
    validateKey(key)
    throwIfAborted(options.signal)
    const entry = this.#values.get(key)
    return entry && { size: entry.value.byteLength, modified: new Date(entry.modified) }
  }

  lock(name: string, options: LockOptions = {}): Promise<Lock> {
    return acquireLock(this.#leases, this.#clock, name, { ...options, autoRenew: this.#autoRenew })
  }

  tryLock(name: string, options: LockOptions = {}): Promise<Lock | undefined> {
    return tryAcquireLock(this.#leases, name, {
      ...options,
      autoRenew: this.#autoRenew,
    })
  }

  #keysBelow(prefix: string): string[] {
    const base = prefix === '' ? '' : `${prefix}/`
    return [...this.#values.keys()].filter((key) => key.startsWith(base))
  }
}

function conflict(key: string, why: string): GatehouseError {
  return new GatehouseError(
    'ERR_STORAGE',
    `cannot put "${key}": ${why}; a key holds a value or other keys, not both`,
  )
}

/**
 * Leases in a map. A released lease stays as a record with `expiresAt: 0`, so the next token still
 * counts up from it (fencing tokens never repeat). Names are keyed by `safeKeyPart`, as FileStorage
 * names its lock folders, so both backends agree on which names share a lock.
 */
class MemoryLeases implements LeaseBackend {
  readonly #leases = new Map<string, LeaseRecord>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseRecord | undefined> {
    const now = this.#clock.now()
    const current = this.#leases.get(safeKeyPart(name))
    if (current && current.expiresAt > now) return undefined
    const record = { token: (current?.token ?? 0) + 1, expiresAt: now + ttlMs }
    this.#leases.set(safeKeyPart(name), record)
    return record
  }

  async renew(name: string, token: number, ttlMs: number): Promise<number | undefined> {
    const now = this.#clock.now()
    const current = this.#leases.get(safeKeyPart(name))
    if (current?.token !== token || current.expiresAt <= now) return undefined
    const expiresAt = now + ttlMs
    this.#leases.set(safeKeyPart(name), { token, expiresAt })
    return expiresAt
  }

  async release(name: string, token: number): Promise<void> {
    const current = this.#leases.get(safeKeyPart(name))
    if (current?.token === token) this.#leases.set(safeKeyPart(name), { token, expiresAt: 0 })
  }
}
