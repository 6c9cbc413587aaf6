/** Size and modification time of a stored value. */
export interface StorageStat {
  /** Bytes. */
  size: number
  /** When the value was last put (by the storage's Clock for in-memory backends, file mtime on disk). */
  modified: Date
}

/**
 * A leased lock from {@link Storage.lock}. A lease, not a mutex: a holder that stops renewing (it
 * crashed, or its event loop stalled) loses the lock after `expiresAt`, so work done under a lock must
 * be idempotent or fenced by `token`.
 */
export interface Lock {
  readonly name: string
  /**
   * Fencing token: strictly increasing per lock name across acquisitions (a counter stored with the
   * lock), so a resource can refuse writes carrying a token older than one it has already seen.
   */
  readonly token: number
  /** When the lease ends unless renewed (ms since epoch, by the storage's Clock). */
  readonly expiresAt: number
  /**
   * Extends the lease by its TTL. Rejects with ERR_LOCKED if the lease was lost: it expired (even if
   * nobody took it yet, because a taker may be about to) or another holder has it.
   */
  renew(options?: { signal?: AbortSignal }): Promise<void>
  /** Releases it; idempotent; never releases a lock someone else took after ours expired. */
  release(options?: { signal?: AbortSignal }): Promise<void>
}

/**
 * Where Gatehouse keeps accounts, keys, certificates and locks. After certmagic's `Storage` and
 * `Locker`, with leases and fencing tokens in place of unbounded locks.
 *
 * Keys are `/`-separated relative paths (`certificates/example.com/cert.pem`). Every part is a
 * non-empty name other than `.` and `..`, without `\` or NUL, at most 200 bytes; anything else is a
 * `TypeError` (see `validateKey`; build parts from untrusted names with `safeKeyPart`). A key holds
 * either a value or, as a folder, other keys, never both: putting a value where a folder is (or below a
 * value) rejects with ERR_STORAGE. Backends may reserve names (FileStorage reserves the top-level
 * `locks`).
 *
 * Failures of the medium (permissions, full disk, read-only file system) reject with a GatehouseError
 * of code ERR_STORAGE whose message names the path and the fix. An aborted signal rejects with
 * ERR_ABORTED.
 *
 * Several Storage instances (in one process or many) may share one backing store: values and locks are
 * consistent between them.
 */
export interface Storage {
  /** The value, or undefined when the key is absent (or is a folder). */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>
  /**
   * Atomic replace: a concurrent reader sees the old or the new value, never a mix, and a crash
   * mid-write leaves the old value. Strings are stored as UTF-8. `private: true` means only the owner
   * can read it (mode 0600 on files): account and certificate keys must be put with it.
   */
  put(
    key: string,
    value: Uint8Array | string,
    options?: { private?: boolean; signal?: AbortSignal },
  ): Promise<void>
  /** Removes the key and every key below it (`a/b` removes `a/b/c`). Absent keys: no error. */
  delete(key: string, options?: { signal?: AbortSignal }): Promise<void>
  /**
   * The keys directly below `prefix` (values and folders alike), or with `recursive` every value below
   * it; full keys, sorted by code unit. `''` is the root. An absent prefix lists as `[]`.
   */
  list(prefix: string, options?: { recursive?: boolean; signal?: AbortSignal }): Promise<string[]>
  /** Size and modification time of a value; undefined when absent (or a folder). */
  stat(key: string, options?: { signal?: AbortSignal }): Promise<StorageStat | undefined>
  /**
   * Waits for the named lock, polling, bounded by `waitMs` (ms, default 60 000) and the signal. The
   * lease lasts `ttlMs` (ms, default 30 000). While held, the lease is renewed automatically every
   * ttl/3 until release (by an unref'd timer, so a held lock never keeps the process alive); a holder
   * that dies loses the lock once its lease ends. After acquiring, callers MUST re-check the state they
   * meant to change: another holder may have done the work meanwhile.
   *
   * Lock names are free text; names that `safeKeyPart` maps to the same part (differing only in case
   * or punctuation) share one lock.
   *
   * Errors: ERR_LOCKED when `waitMs` runs out (the message names the lock and how long it waited);
   * ERR_ABORTED when the signal aborts; RangeError for a non-positive `ttlMs` or negative `waitMs`.
   */
  lock(
    name: string,
    options?: { ttlMs?: number; waitMs?: number; signal?: AbortSignal },
  ): Promise<Lock>
  /** One attempt: the lock (renewed automatically as with `lock`), or undefined when someone holds it. */
  tryLock(
    name: string,
    options?: { ttlMs?: number; signal?: AbortSignal },
  ): Promise<Lock | undefined>
}
