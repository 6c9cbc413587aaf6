/**
 * An access-log sink that writes JSON lines to a file with few system calls: lines are gathered in
 * memory and written every `flushMs` (or sooner when {@link FLUSH_BYTES} pile up), one write in flight
 * at a time, as nginx's `access_log ... buffer= flush=` does. A write per request costs a thread-pool
 * round trip and a syscall each, measured at ~40 us of CPU per request on the proxy's core
 * (bench/proxy-hotpath.ts): more than the rest of the request's own work. Once a turn is not enough
 * either: at a few thousand requests a second most turns carry one or two requests.
 */
import { close, open, write } from 'node:fs'
import { AccessLogEntry, accessLogFormatter, appendedMembers } from './access-log.js'
import { encodeEntryLine, entryLineBound } from './access-log-encoder.js'

/** Pending bytes that trigger a write at once. */
const FLUSH_BYTES = 64 * 1024
/** Lines are encoded into buffers of this size as they come (a longer line gets one of its own). */
const CHUNK_BYTES = 64 * 1024
/** Default longest time a line waits in memory, ms. */
export const DEFAULT_FLUSH_MS = 100

export class AccessLogWriter {
  readonly #path: string
  readonly #fd: Promise<number>
  /**
   * Lines waiting, encoded at once into off-heap buffers: gathered as one string, they lived up to
   * `flushMs` on the JS heap and were most of what each scavenge had to copy (and then promote).
   */
  readonly #pending = new PendingBytes()
  #writing = false
  #scheduled = false
  #closed = false
  readonly #flushMs: number
  readonly #format: (entry: Record<string, unknown>) => string
  /** UTF-8 of what `fields` add to each of our entries' lines; undefined: JSON.stringify's lines. */
  readonly #extra: Buffer | undefined
  #idle: (() => void) | undefined
  /** The first write error; later lines are dropped (a full disk must not stop the proxy). */
  error: Error | undefined

  /**
   * Appends to `path` (created 0640 when missing); a line is written within `flushMs` (ms). `fields`
   * are added to every line (see accessLogFormatter).
   * `fields` is read here, at construction: leave it unchanged after (our entries keep its text).
   */
  constructor(path: string, options: { flushMs?: number; fields?: Record<string, unknown> } = {}) {
    this.#path = path
    this.#flushMs = options.flushMs ?? DEFAULT_FLUSH_MS
    this.#format = accessLogFormatter(options.fields)
    const extra = appendedMembers(options.fields)
    this.#extra = extra === undefined ? undefined : Buffer.from(extra)
    this.#fd = new Promise((resolve, reject) =>
      open(path, 'a', 0o640, (err, fd) => (err ? reject(err) : resolve(fd))),
    )
    // Reported through `error` and `close()`, not as an unhandled rejection.
    this.#fd.catch((err: Error) => (this.error ??= err))
  }

  /** The `GatewayOptions.accessLog` sink. */
  readonly write = (entry: Record<string, unknown>): void => {
    if (this.#closed || this.error) return
    if (this.#extra !== undefined && entry instanceof AccessLogEntry)
      this.#pending.addEntry(entry, this.#extra)
    else this.#pending.add(this.#format(entry))
    if (this.#pending.bytes >= FLUSH_BYTES) this.#flush()
    else this.#schedule()
  }

  /** Writes what is pending, then closes the file. Rejects with the first write error, if any. */
  async close(): Promise<void> {
    this.#closed = true
    this.#flush()
    if (this.#writing) await new Promise<void>((resolve) => (this.#idle = resolve))
    const fd = await this.#fd.catch(() => undefined)
    if (fd !== undefined) await new Promise<void>((resolve) => close(fd, () => resolve()))
    if (this.error)
      throw new Error(`cannot write the access log ${this.#path}: ${this.error.message}`, {
        cause: this.error,
      })
  }

  /** Arms the flush timer unless it is armed. Unref'd: it never keeps the process alive. */
  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setTimeout(() => {
      this.#scheduled = false
      this.#flush()
    }, this.#flushMs).unref()
  }

  #flush(): void {
    if (this.#writing || this.#pending.bytes === 0 || this.error) return
    const data = this.#pending.take()
    this.#writing = true
    void this.#fd.then(
      (fd) => this.#writeAll(fd, data, 0),
      () => this.#done(),
    )
  }

  #writeAll(fd: number, data: Buffer, offset: number): void {
    write(fd, data, offset, data.length - offset, null, (err, n) => {
      if (err) {
        this.error ??= err
        return this.#done()
      }
      if (offset + n < data.length) return this.#writeAll(fd, data, offset + n)
      this.#done()
    })
  }

  #done(): void {
    this.#writing = false
    // What piled up during the write waits for its own turn: written at once, every completion
    // would start the next write, and at 10k requests a second the batches shrank to a few lines
    // (a thread-pool write every ~1 ms, measured at 20+ µs of CPU per request on the proxy's core).
    if (this.#pending.bytes !== 0 && !this.error) {
      if (this.#closed || this.#pending.bytes >= FLUSH_BYTES) return this.#flush()
      this.#schedule()
    }
    const idle = this.#idle
    this.#idle = undefined
    idle?.()
  }
}

/** Text encoded as UTF-8 into buffers as it is added, handed out whole by take(). */
class PendingBytes {
  #full: Buffer[] = []
  #chunk: Buffer | undefined
  #used = 0
  /** Bytes added since the last take(). */
  bytes = 0

  add(text: string): void {
    // Room for the worst case (3 bytes per UTF-16 unit) so that a line is never cut.
    const chunk = this.#room(3 * text.length)
    const n = chunk.write(text, this.#used)
    this.#used += n
    this.bytes += n
  }

  /** One of our entries, encoded without building its line as a string first. */
  addEntry(entry: AccessLogEntry, extra: Buffer): void {
    const chunk = this.#room(entryLineBound(entry, extra))
    const end = encodeEntryLine(chunk, this.#used, entry, extra)
    this.bytes += end - this.#used
    this.#used = end
  }

  /** The current chunk with `room` bytes free after `#used`, a new one when it has not. */
  #room(room: number): Buffer {
    const chunk = this.#chunk
    if (chunk !== undefined && this.#used + room <= chunk.length) return chunk
    if (chunk !== undefined && this.#used > 0) this.#full.push(chunk.subarray(0, this.#used))
    this.#used = 0
    return (this.#chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room)))
  }

  /** Everything added, in order; what comes next goes to new storage (this may be in a write). */
  take(): Buffer {
    if (this.#chunk !== undefined && this.#used > 0)
      this.#full.push(this.#chunk.subarray(0, this.#used))
    const data = this.#full.length === 1 ? (this.#full[0] as Buffer) : Buffer.concat(this.#full)
    this.#full = []
    this.#chunk = undefined
    this.#used = 0
    this.bytes = 0
    return data
  }
}
