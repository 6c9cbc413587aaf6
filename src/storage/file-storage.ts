import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { systemClock, type Clock } from '../clock.js'
import { throwIfAborted } from '../errors.js'
import { TEMP_FILE_PATTERN, writeFileAtomic } from './atomic-file.js'
import { FileLeases } from './file-leases.js'
import { errnoCode, storageError } from './fs-error.js'
import { validateKey, validatePrefix } from './keys.js'
import { acquireLock, tryAcquireLock, type LockOptions } from './lease.js'
import type { Lock, Storage, StorageStat } from './storage.js'

/** The top-level folder under the root that holds lock files; not usable as a key. */
export const LOCKS_FOLDER = 'locks'

/**
 * How often `put` recreates its folder and retries when a concurrent `delete` pruned the folder
 * between the two steps.
 */
export const MAX_PUT_ATTEMPTS = 3

export interface FileStorageOptions {
  /** The folder everything lives under; created (mode 0700) when missing. */
  root: string
  /** Judges lease expiry. Default: the system clock. */
  clock?: Clock
  /**
   * Renew held locks every ttl/3 (default true). Turn off only to simulate a stalled holder in tests.
   */
  autoRenew?: boolean
}

/**
 * The {@link Storage} contract on a local file system: each key is a file under `root`, folders are
 * mode 0700, values 0600 when private and 0644 otherwise. Writes are atomic (temporary file, fsync,
 * rename, folder fsync); locks are leases under `<root>/locks/` (see {@link FileLeases}) that work
 * across processes sharing the root, on one host or over a file system with atomic `link`.
 */
export class FileStorage implements Storage {
  readonly #root: string
  readonly #clock: Clock
  readonly #autoRenew: boolean
  readonly #leases: FileLeases

  constructor(options: FileStorageOptions) {
    if (typeof options?.root !== 'string' || options.root === '') {
      throw new TypeError(`FileStorage needs a root folder, got ${JSON.stringify(options?.root)}`)
    }
    this.#root = resolve(options.root)
    this.#clock = options.clock ?? systemClock
    this.#autoRenew = options.autoRenew ?? true
    this.#leases = new FileLeases(join(this.#root, LOCKS_FOLDER), this.#clock)
  }

  /** The absolute root folder. */
  get root(): string {
    return this.#root
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    const path = this.#path(key)
    throwIfAborted(options.signal)
    try {
      return new Uint8Array(await readFile(path))
    } catch (err) {
      if (isAbsent(err)) return undefined
      throw storageError(err, 'read', path)
    }
  }

  async put(
    key: string,
    value: Uint8Array | string,
    options: { private?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const path = this.#path(key)
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
    const mode = options.private ? 0o600 : 0o644
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal)
      await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
        throw storageError(err, 'create the folder for', path)
      })
      try {
        return await writeFileAtomic(path, bytes, mode)
      } catch (err) {
        const pruned = errnoCode((err as Error).cause) === 'ENOENT'
        if (!pruned || attempt >= MAX_PUT_ATTEMPTS) throw err
      }
    }
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const path = this.#path(key)
    throwIfAborted(options.signal)
    await rm(path, { recursive: true, force: true }).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOTDIR') throw storageError(err, 'delete', path)
    })
    await this.#pruneEmptyFolders(dirname(path))
  }

  async list(
    prefix: string,
    options: { recursive?: boolean; signal?: AbortSignal } = {},
  ): Promise<string[]> {
    const parts = validatePrefix(prefix)
    checkNotReserved(prefix, parts)
    const found: string[] = []
    await this.#walk(parts, options.recursive ?? false, found, options.signal)
    return found.sort()
  }

  async stat(
    key: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<StorageStat | undefined> {
    const path = this.#path(key)
    throwIfAborted(options.signal)
    try {
      const info = await stat(path)
      return info.isFile() ? { size: info.size, modified: info.mtime } : undefined
    } catch (err) {
      if (isAbsent(err)) return undefined
      throw storageError(err, 'stat', path)
    }
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

  #path(key: string): string {
    const parts = validateKey(key)
    checkNotReserved(key, parts)
    return join(this.#root, ...parts)
  }

  /** Collects the keys below `parts` into `found`: one level, or every value when recursive. */
  async #walk(
    parts: string[],
    recursive: boolean,
    found: string[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    throwIfAborted(signal)
    const folder = join(this.#root, ...parts)
    let entries
    try {
      entries = await readdir(folder, { withFileTypes: true })
    } catch (err) {
      if (isAbsent(err)) return
      throw storageError(err, 'list', folder)
    }
    for (const entry of entries) {
      if (TEMP_FILE_PATTERN.test(entry.name)) continue
      if (parts.length === 0 && entry.name === LOCKS_FOLDER) continue
      const key = [...parts, entry.name]
      if (entry.isDirectory() && recursive) await this.#walk(key, true, found, signal)
      else if (entry.isFile() || entry.isDirectory()) found.push(key.join('/'))
    }
  }

  /** Removes folders left empty by a delete, up to (not including) the root. */
  async #pruneEmptyFolders(folder: string): Promise<void> {
    for (let current = folder; current.startsWith(this.#root + sep); current = dirname(current)) {
      try {
        await rmdir(current)
      } catch {
        return
      }
    }
  }
}

/** Keys FileStorage cannot store: its lock folder, and names of its own temporary files. */
function checkNotReserved(key: string, parts: string[]): void {
  if (parts[0] === LOCKS_FOLDER) {
    throw new TypeError(`invalid storage key "${key}": the top-level "locks" folder is reserved`)
  }
  if (parts.some((part) => TEMP_FILE_PATTERN.test(part))) {
    throw new TypeError(`invalid storage key "${key}": it looks like a temporary file name`)
  }
}

/** Absent, or a path through a value (`a/b/c` when `a/b` is a value), or a folder where a value is. */
function isAbsent(err: unknown): boolean {
  return ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errnoCode(err) ?? '')
}
