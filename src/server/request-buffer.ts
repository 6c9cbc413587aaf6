/**
 * What an HTTP/1.1 connection (http1-connection.ts) has read from its client and not used yet:
 * packets gathered with a bounded number of copies (append-bytes.ts), and the search for the end of
 * the next request head in them, resumed where the last search stopped.
 */
import type { Refusal } from '../proxy/request-checks.js'
import { parseRequestHead, type RequestHead } from '../proxy/request-head.js'
import { appendBytes } from './append-bytes.js'

const EMPTY = Buffer.alloc(0)

export class RequestBuffer {
  #bytes: Buffer = EMPTY
  /** The storage #bytes was gathered into, when it was (see gather). */
  #store: Buffer | undefined
  /** Bytes at the start of #bytes searched for the end of a head by a parse that found none. */
  #scanned = 0
  /**
   * performance.now() at the first byte of a head that came in parts (when the header timeout
   * starts), for a refusal's duration; -1 for a head read whole from one packet: its refusal took
   * no time, and the keep-alive path reads no clock.
   */
  #headStart = -1

  get length(): number {
    return this.#bytes.length
  }

  /** Appends a packet, copying each byte a bounded number of times (append-bytes.ts). */
  gather(chunk: Buffer): void {
    // The keep-alive path: a request in a packet of its own, taken as it is.
    if (this.#bytes.length === 0) {
      this.#bytes = chunk
      this.#store = undefined
      return
    }
    const g = appendBytes({ bytes: this.#bytes, store: this.#store }, chunk)
    this.#bytes = g.bytes
    this.#store = g.store
  }

  /**
   * The head at the start of the bytes, a refusal of it, or undefined while it is incomplete.
   * `continued`: the bytes go on with a head found incomplete before (its clock is running).
   */
  readHead(maxHeadBytes: number, continued: boolean): RequestHead | Refusal | undefined {
    if (!continued) this.#headStart = -1
    const parsed = parseRequestHead(this.#bytes, maxHeadBytes, this.#scanned)
    if (parsed === undefined) {
      // The next packet's search resumes here: a head sent a byte at a time costs linear time.
      this.#scanned = this.#bytes.length
      if (!continued) this.#headStart = performance.now()
      return undefined
    }
    this.#scanned = 0
    return parsed
  }

  /** Drops the `size` bytes of a head read by readHead. */
  dropHead(size: number): void {
    // An empty rest must not keep the chunk it came from alive on an idle connection.
    this.#bytes = size === this.#bytes.length ? EMPTY : this.#bytes.subarray(size)
    this.#store = undefined
  }

  /** Takes every byte held, leaving none. */
  take(): Buffer {
    const bytes = this.#bytes
    this.#bytes = EMPTY
    return bytes
  }

  /** Puts back what take() returned, the buffer still empty. */
  putBack(bytes: Buffer): void {
    this.#bytes = bytes
  }

  /** Milliseconds from the first byte of the last head to now; 0 for a head read whole. */
  headMs(): number {
    return this.#headStart < 0 ? 0 : performance.now() - this.#headStart
  }
}
