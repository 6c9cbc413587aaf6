import { randomBytes } from 'node:crypto'
import { systemClock, type Clock } from '../clock.js'
import { GatehouseError, throwIfAborted } from '../errors.js'
import type { Storage } from '../storage/storage.js'

/** Where the ring lives in storage (private: anyone holding a key can decrypt its tickets' secrets). */
export const TICKET_KEYS_STORAGE_KEY = 'tls/ticket-keys.json'
/** The storage lock taken to create or rotate a key. */
export const TICKET_KEYS_LOCK = 'tls-ticket-keys'
/** Default time between rotations (ms): 12 hours. */
export const DEFAULT_TICKET_ROTATION_MS = 12 * 3600_000
/** Default time between reads of the stored ring (ms): 1 minute. */
export const DEFAULT_TICKET_POLL_MS = 60_000
/** A successor key is published this many polls before it takes over, so every process has read it. */
export const TICKET_KEY_LEAD_POLLS = 3
/** Bound on waiting for the rotation lock (ms); a tick that gives up retries on the next poll. */
export const TICKET_LOCK_WAIT_MS = 10_000
/** Bytes `tls.Server#setTicketKeys` takes: 16 key name, 16 HMAC secret, 16 AES secret. */
export const TICKET_KEY_BYTES = 48
/**
 * The TLS session ID context every server sharing a ring uses. OpenSSL refuses to resume a session
 * whose context differs from the server's, and Node's default is a hash of `process.argv`, so two
 * processes started with different arguments would never resume each other's tickets.
 */
export const TICKET_SESSION_ID_CONTEXT = 'gatehouse-shared-tickets'

/** One ticket key and the time it starts encrypting new tickets (ms since epoch). */
export interface TicketKey {
  readonly notBefore: number
  readonly secret: Buffer
}

/** The ring as stored: keys sorted by `notBefore`, at most one announced for the future. */
export interface TicketKeyState {
  readonly keys: readonly TicketKey[]
}

export interface TicketKeyRingOptions {
  /** Shared by every process that must resume the others' tickets. */
  storage: Storage
  /** Drives rotation and polling. Default: the system clock. */
  clock?: Clock
  /** Milliseconds a key encrypts new tickets before its successor takes over. Default 12 h. */
  rotationMs?: number
  /** Milliseconds between reads of the stored ring. Default 60 000; rotationMs must be >= 4x this. */
  pollMs?: number
  /** Failures of the background loop (the current key keeps serving). Default: ignored. */
  onError?: (err: unknown) => void
}

/**
 * TLS session-ticket keys (RFC 5077 §4; RFC 8446 §4.6.1 for TLS 1.3) shared through {@link Storage},
 * so a client resumes on any server that shares the storage, and rotated so a stolen key exposes
 * only a bounded window of sessions.
 *
 * Node's `setTicketKeys` holds ONE key: a ticket encrypted under the previous key is not decrypted
 * (measured: the public API offers no fallback; only an undocumented internal hook does), so a
 * rotation costs a full handshake to clients holding older tickets. Hence the rare default rotation
 * (12 h, while Node's tickets live 300 s) and the announced successor: each key is written to storage
 * `TICKET_KEY_LEAD_POLLS` polls before it takes over, and every process switches at its `notBefore`
 * by its own clock, so processes do not disagree for up to a poll after a rotation.
 *
 * Keys are created and rotated under a storage lock, re-checked after the lock is taken, so processes
 * starting together converge on one key.
 */
export class TicketKeyRing {
  readonly #storage: Storage
  readonly #clock: Clock
  readonly #rotationMs: number
  readonly #pollMs: number
  readonly #onError: (err: unknown) => void
  readonly #listeners = new Set<(keys: Buffer) => void>()
  #state: TicketKeyState = { keys: [] }
  #current: Buffer | undefined
  #stop: AbortController | undefined
  #loop: Promise<void> | undefined
  /** When the last refresh began (clock ms); set before the read, so a failing storage waits a poll. */
  #lastRead = -Infinity

  constructor(options: TicketKeyRingOptions) {
    if (!options?.storage) throw new TypeError('TicketKeyRing needs options.storage (a Storage)')
    this.#storage = options.storage
    this.#clock = options.clock ?? systemClock
    this.#pollMs = positiveMs(options.pollMs ?? DEFAULT_TICKET_POLL_MS, 'pollMs')
    this.#rotationMs = positiveMs(options.rotationMs ?? DEFAULT_TICKET_ROTATION_MS, 'rotationMs')
    if (this.#rotationMs < (TICKET_KEY_LEAD_POLLS + 1) * this.#pollMs) {
      throw new RangeError(
        `rotationMs ${this.#rotationMs} is under ${TICKET_KEY_LEAD_POLLS + 1}x pollMs ${this.#pollMs}; ` +
          'rotate less often or poll more often, so every process reads a key before it takes over',
      )
    }
    this.#onError = options.onError ?? (() => {})
  }

  /** The 48 bytes in use now (a copy), or undefined before the first successful refresh. */
  get current(): Buffer | undefined {
    return this.#current && Buffer.from(this.#current)
  }

  /**
   * Calls `apply` with the key in use now (at once, if there is one) and with every later one; returns
   * the unsubscribe function. `apply` runs synchronously: pass `server.setTicketKeys` or alike.
   */
  subscribe(apply: (keys: Buffer) => void): () => void {
    this.#listeners.add(apply)
    if (this.#current) apply(Buffer.from(this.#current))
    return () => this.#listeners.delete(apply)
  }

  /**
   * Reads (creating or rotating under the lock when due) and applies the ring once, then keeps doing
   * so in the background until {@link stop}. Rejects when the first refresh fails.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#stop) return
    await this.refresh(options)
    const stop = new AbortController()
    this.#stop = stop
    this.#loop = this.#run(stop.signal)
  }

  /** Stops the background loop; the key in use stays applied. */
  async stop(): Promise<void> {
    this.#stop?.abort()
    await this.#loop
    this.#stop = undefined
    this.#loop = undefined
  }

  /** One step: read storage, rotate if due (under the lock, re-checked), apply the active key. */
  async refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options
    this.#lastRead = this.#clock.now()
    let state = await this.#read(signal)
    const schedule = this.#schedule()
    if (rotationDue(state, this.#clock.now(), schedule)) {
      const lock = await this.#storage.lock(TICKET_KEYS_LOCK, {
        waitMs: TICKET_LOCK_WAIT_MS,
        ...(signal ? { signal } : {}),
      })
      try {
        // Re-check: another process may have rotated while we waited for the lock.
        state = await this.#read(signal)
        const now = this.#clock.now()
        if (rotationDue(state, now, schedule)) {
          state = rotateTicketKeys(state, now, schedule, randomBytes(TICKET_KEY_BYTES))
          await this.#storage.put(TICKET_KEYS_STORAGE_KEY, serializeTicketKeys(state), {
            private: true,
            ...(signal ? { signal } : {}),
          })
        }
      } finally {
        await lock.release()
      }
    }
    this.#state = state
    this.#apply()
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#nextWakeMs(), signal)
      } catch {
        return
      }
      if (this.#pollDue()) {
        await this.refresh({ signal }).catch((err: unknown) => {
          if (!signal.aborted) this.#onError(err)
        })
      } else {
        this.#apply()
      }
    }
  }

  #pollDue(): boolean {
    return this.#clock.now() - this.#lastRead >= this.#pollMs
  }

  /** Until the next poll, or sooner when an announced key takes over. */
  #nextWakeMs(): number {
    const now = this.#clock.now()
    const poll = this.#lastRead + this.#pollMs - now
    const next = this.#state.keys.find((k) => k.notBefore > now)
    return Math.max(0, next ? Math.min(poll, next.notBefore - now) : poll)
  }

  async #read(signal: AbortSignal | undefined): Promise<TicketKeyState> {
    throwIfAborted(signal)
    const bytes = await this.#storage.get(TICKET_KEYS_STORAGE_KEY, signal ? { signal } : {})
    if (!bytes) return { keys: [] }
    try {
      return parseTicketKeys(bytes)
    } catch (err) {
      // A damaged ring must not take TLS down: report it and let the rotation replace it.
      this.#onError(err)
      return { keys: [] }
    }
  }

  #apply(): void {
    const key = activeTicketKey(this.#state, this.#clock.now())
    if (!key || (this.#current && this.#current.equals(key.secret))) return
    this.#current = Buffer.from(key.secret)
    for (const apply of this.#listeners) apply(Buffer.from(key.secret))
  }

  #schedule(): TicketSchedule {
    return { rotationMs: this.#rotationMs, leadMs: TICKET_KEY_LEAD_POLLS * this.#pollMs }
  }
}

/** When keys rotate (ms): each key serves `rotationMs`; its successor is written `leadMs` before. */
export interface TicketSchedule {
  readonly rotationMs: number
  readonly leadMs: number
}

/** The key encrypting new tickets at `now`: the latest whose `notBefore` has passed. */
export function activeTicketKey(state: TicketKeyState, now: number): TicketKey | undefined {
  let active: TicketKey | undefined
  for (const key of state.keys) if (key.notBefore <= now) active = key
  // Every key in the future means our clock is behind the writer's: use the earliest, as it will.
  return active ?? state.keys[0]
}

/** True when the ring is empty or its newest key's successor should be announced by `now`. */
export function rotationDue(state: TicketKeyState, now: number, schedule: TicketSchedule): boolean {
  const newest = state.keys.at(-1)
  return !newest || now >= newest.notBefore + schedule.rotationMs - schedule.leadMs
}

/**
 * The ring with `secret` added as the newest key: taking over when the newest key's time ends, or at
 * once when the ring is empty or that time has already passed (every process was down). Keeps the
 * active key and the one before it; older keys are dropped.
 */
export function rotateTicketKeys(
  state: TicketKeyState,
  now: number,
  schedule: TicketSchedule,
  secret: Buffer,
): TicketKeyState {
  if (secret.length !== TICKET_KEY_BYTES) {
    throw new RangeError(`a ticket key is ${TICKET_KEY_BYTES} bytes, got ${secret.length}`)
  }
  const newest = state.keys.at(-1)
  const notBefore = newest ? Math.max(newest.notBefore + schedule.rotationMs, now) : now
  const keys = [...state.keys, { notBefore, secret: Buffer.from(secret) }]
  const active = keys.indexOf(activeTicketKey({ keys }, now) as TicketKey)
  return { keys: keys.slice(Math.max(0, active - 1)) }
}

/** JSON for storage: `{ version: 1, keys: [{ notBefore: ISO date, secret: base64 }] }`. */
export function serializeTicketKeys(state: TicketKeyState): string {
  const keys = state.keys.map((k) => ({
    notBefore: new Date(k.notBefore).toISOString(),
    secret: k.secret.toString('base64'),
  }))
  return `${JSON.stringify({ version: 1, keys }, null, 2)}\n`
}

/** Parses {@link serializeTicketKeys} output; ERR_STORAGE naming the key when it is not a ring. */
export function parseTicketKeys(bytes: Uint8Array): TicketKeyState {
  const bad = (why: string): GatehouseError =>
    new GatehouseError(
      'ERR_STORAGE',
      `${TICKET_KEYS_STORAGE_KEY} is not a ticket key ring (${why}); delete it and a new one is created`,
    )
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw bad('not JSON')
  }
  const d = doc as { version?: unknown; keys?: unknown }
  if (d?.version !== 1 || !Array.isArray(d.keys)) throw bad('no version 1 keys list')
  const keys = d.keys.map((k: { notBefore?: unknown; secret?: unknown }, i: number) => {
    const notBefore = typeof k?.notBefore === 'string' ? Date.parse(k.notBefore) : NaN
    const secret = typeof k?.secret === 'string' ? Buffer.from(k.secret, 'base64') : Buffer.alloc(0)
    if (!Number.isFinite(notBefore)) throw bad(`keys[${i}].notBefore is not a date`)
    if (secret.length !== TICKET_KEY_BYTES) throw bad(`keys[${i}].secret is not 48 bytes`)
    return { notBefore, secret }
  })
  return { keys: keys.sort((a, b) => a.notBefore - b.notBefore) }
}

function positiveMs(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} is ${value}; give a positive number of milliseconds`)
  }
  return value
}
