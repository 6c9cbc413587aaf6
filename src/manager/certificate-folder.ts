import { watch, type FSWatcher } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { systemClock, type Clock } from '../clock.js'
import { isIP } from 'node:net'
import type { CertEntry, CertificateCache } from '../tls/certificate-cache.js'
import type { Logger } from '../logger.js'
import { logFileEvent } from './log-events.js'
import { DEFAULT_STEM, idOf, nameOf, readFolderPair, signatureOf } from './folder-pair.js'

export { DEFAULT_STEM, nameOf } from './folder-pair.js'

/** What happened to a file pair in the certificate folder. */
export type FolderEvent =
  | { type: 'loaded'; file: string; name: string; notAfter: Date }
  | { type: 'refused'; file: string; name: string; reason: string }
  | { type: 'removed'; file: string; name: string }

export interface CertificateFolderOptions {
  /** The folder: `<name>.crt` + `<name>.key` (PEM), `_wildcard.<parent>.crt` for `*.<parent>`, `default.crt`. */
  dir: string
  cache: CertificateCache
  clock?: Clock
  onEvent?: (event: FolderEvent) => void
  /** Logs every event (a refused file names the file and why). Default: none. */
  logger?: Logger
  /** Milliseconds between polls, the fallback where `fs.watch` misses changes. Default 2 000. */
  pollIntervalMs?: number
}

/** A folder modified less than this before it was listed is listed again at the next scan. */
const RACY_MTIME_MS = 2000

/**
 * One indexed pair. `pending`: known by its file name only, read at first use. `loaded`/`refused`:
 * read and checked, with the signature (mtimes and sizes) it was checked at, so a change is seen
 * and a bad file is reported once, not per poll. A refused replacement keeps the previous `entry`.
 */
interface Pair {
  state: 'pending' | 'loaded' | 'refused'
  signature?: string
  entry?: CertEntry
}

/**
 * Certificates kept as files in a folder, looked up by name (as Clace and mkcert users lay them out).
 *
 * Start-up only lists the folder: each `<name>.crt` + `<name>.key` is indexed by its file name as a
 * pending entry of the cache, and read and checked (key matches, not expired, covers its name) at
 * the first handshake for that name, off the handshake's hot path for every later one. So 100k
 * files cost a directory listing, not 100k certificate parses; and until that listing is indexed,
 * a handshake looks its name's pair up by file name, so a server listens and serves at once.
 * `default.crt` is checked first (the server needs it before any handshake). A replaced file is
 * picked up without a restart; a bad one (unreadable, key not matching, expired, not covering its
 * name) is refused with an event naming the file, and the previous one keeps serving.
 */
export class CertificateFolder {
  readonly #options: CertificateFolderOptions
  readonly #clock: Clock
  readonly #pairs = new Map<string, Pair>()
  /** Stems looked up before the first listing and not found (see #indexEarly), until that listing. */
  readonly #missing = new Set<string>()
  #dirSignature: string | undefined
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #scanning: Promise<void> | undefined
  #again = false

  constructor(options: CertificateFolderOptions) {
    this.#options = options
    this.#clock = options.clock ?? systemClock
    // Until the first listing is indexed, a name asked for is looked up by its files directly.
    options.cache.setMissHandler((name) => this.#indexEarly(name))
  }

  /** The `default.crt` entry, when the folder has a valid one. */
  get defaultEntry(): CertEntry | undefined {
    return this.#pairs.get(DEFAULT_STEM)?.entry
  }

  /**
   * Indexes every pair now (file names only) and re-checks the pairs already read whose files
   * changed; later calls pick up what changed. Concurrent calls share one scan.
   */
  async scan(): Promise<void> {
    if (this.#scanning) {
      this.#again = true
      return this.#scanning
    }
    this.#scanning = (async () => {
      do {
        this.#again = false
        await this.#scanOnce()
      } while (this.#again)
    })().finally(() => (this.#scanning = undefined))
    return this.#scanning
  }

  /**
   * Reads and checks every pair not read yet, as a status check or `certs list` needs; the results
   * arrive as `loaded` and `refused` events, and good pairs are served from then on.
   */
  async loadAll(): Promise<void> {
    for (const [stem, pair] of [...this.#pairs]) {
      if (pair.state === 'pending') await this.#options.cache.loadPending(idOf(stem))
    }
  }

  /**
   * Reads and checks `default.crt` alone, without listing the folder: what a server needs before it
   * can listen (see {@link defaultEntry}).
   */
  async loadDefault(): Promise<void> {
    if (this.#pairs.has(DEFAULT_STEM)) return
    const pair: Pair = { state: 'refused' }
    this.#pairs.set(DEFAULT_STEM, pair)
    await this.#recheck(DEFAULT_STEM, pair)
  }

  /** Scans, then watches the folder (fs.watch, plus polling as a fallback) until `close()`. */
  async watch(): Promise<void> {
    await this.scan()
    try {
      this.#watcher = watch(this.#options.dir, () => void this.scan())
      this.#watcher.on('error', () => {})
    } catch {
      // A folder that does not exist yet is still polled.
    }
    this.#timer = setInterval(() => void this.scan(), this.#options.pollIntervalMs ?? 2000)
    this.#timer.unref()
  }

  close(): void {
    this.#options.cache.setMissHandler(undefined)
    this.#watcher?.close()
    if (this.#timer) clearInterval(this.#timer)
  }

  async #scanOnce(): Promise<void> {
    // Files are added, removed and renamed into place through the folder, which changes its mtime:
    // an unchanged folder needs no listing (100k entries), only the pairs already read need a stat.
    const listedAt = Date.now()
    const dir = await stat(this.#options.dir).catch(() => undefined)
    const signature = dir ? `${dir.mtimeMs}:${dir.ino}` : 'missing'
    if (signature !== this.#dirSignature) {
      // Timestamps are as coarse as the kernel tick: a change in the same tick as this listing
      // would leave the mtime as it is now. A recent mtime is not trusted (git's "racy" rule).
      this.#dirSignature = dir && dir.mtimeMs < listedAt - RACY_MTIME_MS ? signature : undefined
      await this.#reindex(await listPairs(this.#options.dir))
      this.#options.cache.setMissHandler(undefined)
      this.#missing.clear()
    }
    // Only the pairs already read need a look (a few, of 100k): pick them without copying the rest.
    const read: [string, Pair][] = []
    for (const [stem, pair] of this.#pairs) if (pair.state !== 'pending') read.push([stem, pair])
    for (const [stem, pair] of read) {
      if (this.#pairs.get(stem) === pair) await this.#recheck(stem, pair)
    }
  }

  async #reindex(stems: Set<string>): Promise<void> {
    if (stems.has(DEFAULT_STEM) && !this.#pairs.has(DEFAULT_STEM)) {
      const pair: Pair = { state: 'refused' }
      this.#pairs.set(DEFAULT_STEM, pair)
      await this.#recheck(DEFAULT_STEM, pair)
    }
    await this.#indexNew(stems)
    // Deleting the current entry while iterating a Map is safe (ECMA-262 §24.1.3.5).
    for (const [stem, pair] of this.#pairs) {
      if (stems.has(stem)) continue
      this.#pairs.delete(stem)
      if (stem !== DEFAULT_STEM) this.#options.cache.delete(idOf(stem))
      if (pair.state === 'loaded') {
        this.#emit({ type: 'removed', file: this.#file(stem, 'crt'), name: nameOf(stem) })
      }
    }
  }

  /**
   * Indexes the stems not seen before as pending entries. Lean on purpose: at start-up it runs once
   * over every pair (100k) before the code is warm, and it yields now and then so that handshakes
   * arriving meanwhile are served (by {@link #indexEarly}).
   */
  async #indexNew(stems: Set<string>): Promise<void> {
    let count = 0
    for (const stem of stems) {
      if (this.#pairs.has(stem)) continue
      const reason = this.#indexStem(stem)
      if (reason !== undefined) {
        // A file name that is no DNS name, wildcard or IP: nothing could ever ask for it.
        this.#emit({ type: 'refused', file: this.#file(stem, 'crt'), name: stem, reason })
      }
      if (++count % INDEX_SLICE === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Indexes one stem as pending; the reason when its name cannot be indexed. */
  #indexStem(stem: string): string | undefined {
    try {
      this.#options.cache.setPending({
        id: idOf(stem),
        names: [nameOf(stem)],
        load: () => this.#firstUse(stem),
      })
    } catch (err) {
      return message(err)
    }
    this.#pairs.set(stem, { state: 'pending' })
    return undefined
  }

  /**
   * Before the folder is indexed (a listing of 100k files takes a while), the handshake for `name`
   * indexes the two pairs that could serve it, `<name>` and `_wildcard.<parent>`, whether or not
   * they exist: reading them at first use finds out, and a missing pair is dropped again. So the
   * server is ready as soon as it listens, whatever the folder holds.
   */
  #indexEarly(name: string): void {
    if (!this.#pairs.has(name) && !this.#missing.has(name)) this.#indexStem(name)
    const dot = name.indexOf('.')
    if (dot <= 0 || isIP(name) !== 0) return
    const wildcard = `_wildcard.${name.slice(dot + 1)}`
    if (!this.#pairs.has(wildcard) && !this.#missing.has(wildcard)) this.#indexStem(wildcard)
  }

  /** The first handshake for a pending pair: read and check it; the cache serves what it returns. */
  async #firstUse(stem: string): Promise<CertEntry | undefined> {
    const pair = this.#pairs.get(stem)
    if (pair === undefined || pair.state !== 'pending') return pair?.entry
    const read = await readFolderPair(this.#options.dir, stem, this.#clock.now())
    if (this.#pairs.get(stem) !== pair) return undefined // removed meanwhile
    if (read === undefined) {
      // A half is missing (or never existed: see #indexEarly); a later listing indexes it again.
      this.#pairs.delete(stem)
      // Until that listing, a name asked for again costs no more file-system calls.
      if (this.#missing.size < MAX_MISSING) this.#missing.add(stem)
      return undefined
    }
    pair.signature = read.signature
    if ('reason' in read) {
      pair.state = 'refused'
      this.#emit({
        type: 'refused',
        file: this.#file(stem, 'crt'),
        name: nameOf(stem),
        reason: read.reason,
      })
      return undefined
    }
    pair.state = 'loaded'
    pair.entry = read.entry
    this.#emit({
      type: 'loaded',
      file: this.#file(stem, 'crt'),
      name: nameOf(stem),
      notAfter: read.entry.notAfter,
    })
    return read.entry
  }

  /** A pair already read: when its files changed, read and check it again and serve it if good. */
  async #recheck(stem: string, pair: Pair): Promise<void> {
    const signature = await signatureOf(this.#file(stem, 'crt'), this.#file(stem, 'key'))
    if (signature === undefined || signature === pair.signature) return
    const read = await readFolderPair(this.#options.dir, stem, this.#clock.now())
    if (this.#pairs.get(stem) !== pair || read === undefined) return
    pair.signature = read.signature
    const certFile = this.#file(stem, 'crt')
    if ('reason' in read) {
      this.#emit({ type: 'refused', file: certFile, name: nameOf(stem), reason: read.reason })
      if (pair.entry === undefined) pair.state = 'refused'
      return
    }
    pair.state = 'loaded'
    pair.entry = read.entry
    if (stem !== DEFAULT_STEM) this.#options.cache.set(read.entry)
    this.#emit({
      type: 'loaded',
      file: certFile,
      name: nameOf(stem),
      notAfter: read.entry.notAfter,
    })
  }

  #file(stem: string, ext: 'crt' | 'key'): string {
    return join(this.#options.dir, `${stem}.${ext}`)
  }

  #emit(event: FolderEvent): void {
    if (this.#options.logger) logFileEvent(this.#options.logger, event)
    this.#options.onEvent?.(event)
  }
}

/** Bound on the stems remembered as missing before the first listing (names clients made up). */
const MAX_MISSING = 10_000

/** Stems indexed between two yields to the event loop. */
const INDEX_SLICE = 4096

/** Stems with both a `.crt` and a `.key`, sorted (so the first of two files for one name wins). */
async function listPairs(dir: string): Promise<Set<string>> {
  let files: string[]
  try {
    files = await readdir(dir)
  } catch {
    return new Set()
  }
  const set = new Set(files)
  return new Set(
    files
      .filter((f) => f.endsWith('.crt') && set.has(`${f.slice(0, -4)}.key`))
      .map((f) => f.slice(0, -4))
      .sort(),
  )
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
