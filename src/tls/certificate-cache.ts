import type { SecureContext } from 'node:tls'
import { createProfileContext } from './tls-profile.js'
import { GatehouseError } from '../errors.js'
import { canonicalIp } from '../crypto/ip.js'
import { normalizeEntry, normalizeNames, type CertEntry, type PendingEntry } from './cert-entry.js'
import { ContextLru } from './context-lru.js'
import { finishNameHash, nameHashStep, NameTable } from './name-table.js'
import { addToSlot, best, removeFromSlot, type Slot } from './name-slots.js'

export type { CertEntry, CertSource, PendingEntry } from './cert-entry.js'

export interface CertificateCacheOptions {
  /**
   * Most `SecureContext`s kept at once (least recently used dropped first); default 1000. Each holds
   * a parsed key and chain (a few KiB of native memory), so 100k certificates must not all have one.
   */
  maxContexts?: number
  /**
   * Builds a context for an entry; default: the key and certificate with Gatehouse's TLS profile
   * (src/server/tls-profile.ts), which every SNI context needs since it replaces the server's.
   */
  createContext?: (entry: CertEntry) => SecureContext
}

/** Default for {@link CertificateCacheOptions.maxContexts}. */
export const DEFAULT_MAX_CONTEXTS = 1000

/** A pending entry in the index, with its load once started. */
class Pending {
  loading: Promise<void> | undefined
  constructor(
    readonly id: string,
    readonly names: readonly string[],
    readonly load: () => Promise<CertEntry | undefined>,
  ) {}
}

/**
 * The in-memory certificate index the TLS `SNICallback` reads. Everything on the lookup path is
 * synchronous and allocation-light, as certmagic's rule for the handshake callback requires: "must
 * be very fast and not block". Node's own `server.addContext` scans a regex per name (linear in the
 * number of certificates) and builds every context up front; this is two Map reads and a lazy LRU.
 *
 * Matching (RFC 6125 §6.4): the exact name first, then `*.<parent>` for ONE left-most label, so
 * `a.b.example.com` is not covered by `*.example.com`. An exact match wins over a wildcard even if
 * the wildcard certificate lives longer. When several entries cover the same name the one with the
 * latest `notAfter` wins (a renewed certificate takes over as soon as it is set, and the old one can
 * be deleted at leisure); on a tie, the most recently set.
 */
export class CertificateCache {
  readonly #exact = new NameTable<Slot>()
  /** Keyed by the parent: `*.example.com` is stored under `example.com`. */
  readonly #wildcard = new NameTable<Slot>()
  readonly #entries = new Map<string, CertEntry>()
  /**
   * Pending entries, apart from the loaded ones so that a lookup of a loaded name never looks here.
   * Precedence still holds: exact loaded, exact pending, wildcard loaded, wildcard pending.
   */
  readonly #pendingExact = new NameTable<Pending>()
  readonly #pendingWildcard = new NameTable<Pending>()
  readonly #pending = new Map<string, Pending>()
  #onMiss: ((name: string) => void) | undefined
  /** Names (loaded or pending) that are IP addresses: when none, connections skip the by-address lookup. */
  #ipNames = 0
  readonly #contexts: ContextLru
  readonly #createContext: (entry: CertEntry) => SecureContext

  constructor(options: CertificateCacheOptions = {}) {
    this.#contexts = new ContextLru(options.maxContexts ?? DEFAULT_MAX_CONTEXTS)
    this.#createContext = options.createContext ?? createProfileContext
  }

  /** Certificates indexed. */
  get size(): number {
    return this.#entries.size
  }

  /** Entries known by name and not loaded yet (see {@link setPending}). */
  get pendingCount(): number {
    return this.#pending.size
  }

  /** `SecureContext`s currently built (at most `maxContexts`). */
  get contextCount(): number {
    return this.#contexts.size
  }

  /** Adds `entry`, or replaces the entry with its id (dropping that entry's cached context). */
  set(entry: CertEntry): void {
    const normalized = normalizeEntry(entry)
    this.delete(normalized.id)
    this.#entries.set(normalized.id, normalized)
    for (const name of normalized.names) {
      if (name.startsWith('*.')) addToSlot(this.#wildcard, name.slice(2), normalized)
      else addToSlot(this.#exact, name, normalized)
    }
    this.#ipNames += countIps(normalized.names)
  }

  /**
   * Indexes a certificate by its names without its PEMs: a handshake for one of them waits for
   * `pending.load()` (see {@link pendingFor}), which replaces it with the loaded entry, or removes it
   * when the load gives nothing. Replaces any entry (loaded or pending) with the same id.
   */
  setPending(pending: PendingEntry): void {
    if (typeof pending.id !== 'string' || pending.id.length === 0) {
      throw new TypeError(
        `pending certificate id ${JSON.stringify(pending.id)} must be a non-empty string`,
      )
    }
    const names = normalizeNames(pending.names, pending.id)
    if (typeof pending.load !== 'function') {
      throw new TypeError(`pending certificate ${pending.id} needs a load() function`)
    }
    // Start-up indexes 100k of these: skip the delete when the id is new.
    if (this.#pending.has(pending.id) || this.#entries.has(pending.id)) this.delete(pending.id)
    const p = new Pending(pending.id, names, pending.load)
    this.#pending.set(p.id, p)
    this.#ipNames += countIps(names)
    for (const name of names) {
      const wildcard = name.startsWith('*.')
      const table = wildcard ? this.#pendingWildcard : this.#pendingExact
      const key = wildcard ? name.slice(2) : name
      // The first pending entry for a name keeps it (two files for one name: the first in order).
      table.setIfAbsent(key, p)
    }
  }

  /** Removes the entry (loaded or pending) with this id and its context; returns whether there was one. */
  delete(id: string): boolean {
    const pending = this.#pending.get(id)
    if (pending !== undefined) {
      this.#pending.delete(id)
      this.#ipNames -= countIps(pending.names)
      for (const name of pending.names) {
        const [table, key] = this.#pendingTable(name)
        if (table.get(key) === pending) table.delete(key)
      }
      return true
    }
    const entry = this.#entries.get(id)
    if (entry === undefined) return false
    this.#entries.delete(id)
    this.#contexts.delete(id)
    this.#ipNames -= countIps(entry.names)
    for (const name of entry.names) {
      if (name.startsWith('*.')) removeFromSlot(this.#wildcard, name.slice(2), entry)
      else removeFromSlot(this.#exact, name, entry)
    }
    return true
  }

  /**
   * When the certificate that would serve `servername` is pending, starts its load (once) and
   * returns a promise that settles when it is done (never rejects): look the name up again then.
   * Undefined when a loaded entry (or nothing) serves the name.
   */
  pendingFor(servername: string): Promise<void> | undefined {
    let found = this.#find(servername)
    if (found === undefined && this.#onMiss !== undefined && typeof servername === 'string') {
      this.#onMiss(servername.toLowerCase().replace(/\.$/, ''))
      found = this.#find(servername)
    }
    return found instanceof Pending ? this.#startLoad(found) : undefined
  }

  /**
   * Called by {@link pendingFor} with the name (lower case, no trailing dot) when nothing is indexed
   * for it, before it gives up: the handler may {@link setPending} entries that could serve it. A
   * certificate folder not listed yet uses this. `undefined` removes the handler.
   */
  setMissHandler(handler: ((name: string) => void) | undefined): void {
    this.#onMiss = handler
  }

  /**
   * Whether a lookup by IP address could find something: an entry or pending entry names one, or a
   * miss handler could index one. The server asks this per connection before it reads the socket's
   * local address (a system call) for clients without SNI.
   */
  get mayServeIps(): boolean {
    return this.#ipNames > 0 || this.#onMiss !== undefined
  }

  /** Whether {@link pendingFor} could give a promise for some name (something pending, or a miss handler). */
  get mayHavePending(): boolean {
    return this.#pending.size > 0 || this.#onMiss !== undefined
  }

  /** Loads the pending entry with this id now (a status check); undefined when there is none. */
  loadPending(id: string): Promise<void> | undefined {
    const pending = this.#pending.get(id)
    return pending === undefined ? undefined : this.#startLoad(pending)
  }

  #startLoad(p: Pending): Promise<void> {
    p.loading ??= p.load().then(
      (entry) => this.#settle(p, entry),
      () => this.#settle(p, undefined),
    )
    return p.loading
  }

  #settle(p: Pending, entry: CertEntry | undefined): void {
    if (this.#pending.get(p.id) !== p) return // replaced or deleted while loading
    this.delete(p.id)
    if (entry === undefined) return
    try {
      this.set(entry.id === p.id ? entry : { ...entry, id: p.id })
    } catch {
      // A loader's malformed entry serves nothing, like a refused one.
    }
  }

  #pendingTable(name: string): [NameTable<Pending>, string] {
    return name.startsWith('*.')
      ? [this.#pendingWildcard, name.slice(2)]
      : [this.#pendingExact, name]
  }

  /** The entry with this id, as stored (names normalised). */
  get(id: string): CertEntry | undefined {
    return this.#entries.get(id)
  }

  /** The entry serving `servername` (see the class doc for the rules), or undefined. */
  lookup(servername: string): CertEntry | undefined {
    const found = this.#find(servername)
    return found instanceof Pending ? undefined : found
  }

  #find(servername: string): CertEntry | Pending | undefined {
    if (typeof servername !== 'string' || servername.length === 0) return undefined
    // Sources ask several caches in turn, often empty ones (no explicit files): skip the hashing.
    if (this.#entries.size === 0 && this.#pending.size === 0) return undefined
    if (servername.charCodeAt(servername.length - 1) === 0x2e /* . */) {
      return this.#findCanonical(servername.slice(0, -1).toLowerCase())
    }
    return this.#findCanonical(servername)
  }

  /**
   * One right-to-left pass hashes the name and the part after its left-most dot (the wildcard
   * key), so the wildcard probe needs no substring; upper case (rare: clients send lower case)
   * costs a copy and a second pass.
   */
  #findCanonical(name: string): CertEntry | Pending | undefined {
    let h = 0
    let parent = 0
    let dot = -1
    for (let i = name.length - 1; i >= 0; i--) {
      const c = name.charCodeAt(i)
      if (c >= 0x41 && c <= 0x5a) return this.#findCanonical(name.toLowerCase())
      // RFC 6066 §3: a HostName is ASCII (A-labels); nothing indexed can match anything else.
      if (c > 0x7f) return undefined
      if (c === 0x2e /* . */) {
        dot = i
        parent = h
      }
      h = nameHashStep(h, c)
    }
    const exactHash = finishNameHash(h)
    const exact = this.#exact.getHashed(name, exactHash)
    if (exact !== undefined) return best(exact)
    const pending = this.#pending.size > 0
    const exactPending = pending ? this.#pendingExact.getHashed(name, exactHash) : undefined
    if (exactPending !== undefined) return exactPending
    // No wildcard for a bare label, an empty first label, or an IPv4 address (a DNS name never
    // ends in a digit: top-level domains are alphabetic, RFC 3696 §2). IPv6 has no dot at all.
    if (dot <= 0 || isDigit(name.charCodeAt(name.length - 1))) return this.#findIp(name)
    const parentHash = finishNameHash(parent)
    const wild = this.#wildcard.getSuffix(name, dot + 1, parentHash)
    if (wild !== undefined) return best(wild)
    return pending ? this.#pendingWildcard.getSuffix(name, dot + 1, parentHash) : undefined
  }

  /** IPv6 written another way than RFC 5952's canonical form: the parser runs only on a miss. */
  #findIp(name: string): CertEntry | Pending | undefined {
    if (!name.includes(':')) return undefined
    const ip = canonicalIp(name)
    if (ip === undefined) return undefined
    const slot = this.#exact.get(ip)
    return slot === undefined ? this.#pendingExact.get(ip) : best(slot)
  }

  /** Every entry, in the order set (replacing an entry moves it to the end). */
  entries(): IterableIterator<CertEntry> {
    return this.#entries.values()
  }

  /**
   * The `SecureContext` for `servername`, built on first use and kept in the LRU. Throws
   * `ERR_CERTIFICATE` when the entry's key or chain cannot be loaded.
   */
  contextFor(servername: string): SecureContext | undefined {
    const entry = this.lookup(servername)
    if (entry === undefined) return undefined
    const cached = this.#contexts.get(entry.id)
    if (cached !== undefined) return cached
    let context: SecureContext
    try {
      context = this.#createContext(entry)
    } catch (err) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `cannot load certificate ${JSON.stringify(entry.id)} (${entry.source}) for ${servername}: ${(err as Error).message}`,
        { cause: err },
      )
    }
    this.#contexts.set(entry.id, context)
    return context
  }
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39
}

/** How many of these normalised names may be IP addresses (an upper bound: `host1` counts too). */
function countIps(names: readonly string[]): number {
  let n = 0
  for (const name of names) {
    if (name.includes(':') || isDigit(name.charCodeAt(name.length - 1))) n++
  }
  return n
}
