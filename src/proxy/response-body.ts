import { fieldValues, type ResponseHead } from './http-head.js'

/** How the end of a response body is found (RFC 9112 §6.3). */
export type BodyFraming =
  { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' }

/**
 * The framing of a response to `method`, by the rules of RFC 9112 §6.3 in order: no body for HEAD,
 * 1xx, 204 and 304; Transfer-Encoding wins over Content-Length, and is read to the connection's end
 * unless chunked is the final coding; Content-Length must be one valid number (a list of identical
 * numbers is that number); otherwise the body runs to the end of the connection. Throws for a bad
 * Content-Length, which RFC 9112 §6.3 item 5 makes an unrecoverable error (502 at a proxy).
 */
export function responseFraming(head: ResponseHead, method: string): BodyFraming {
  const { status } = head
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'none' }
  const codings = fieldValues(head, 'transfer-encoding')
    .flatMap((v) => v.split(','))
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '')
  if (codings.length > 0)
    return codings.at(-1) === 'chunked' ? { kind: 'chunked' } : { kind: 'close' }
  const lengths = fieldValues(head, 'content-length').flatMap((v) => v.split(','))
  if (lengths.length === 0) return { kind: 'close' }
  const distinct = new Set(lengths.map((v) => v.trim()))
  const [only] = distinct
  if (distinct.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw new Error(`bad Content-Length "${lengths.join(',')}"`)
  }
  return { kind: 'length', length: Number(only) }
}

/** Follows a body as its bytes arrive, to know where it ends. */
export interface BodyTracker {
  /**
   * How many bytes at the start of `chunk` belong to the body (the rest follows the message).
   * `payload`, if given, gets the body's content without its framing (chunk sizes, trailers), for a
   * client that frames bodies itself (HTTP/2).
   */
  feed(chunk: Buffer, payload?: (data: Buffer) => void): number
  /** The whole body has been fed. Stays false for `close` framing: that body ends with the connection. */
  readonly done: boolean
  /** The body ends when the connection does (`close` framing), not by its own framing. */
  readonly untilClose: boolean
}

/** A tracker for `framing`. Chunked framing throws from `feed` on malformed chunk syntax. */
export function bodyTracker(framing: BodyFraming): BodyTracker {
  switch (framing.kind) {
    case 'none':
      return { feed: () => 0, done: true, untilClose: false }
    case 'close':
      return {
        feed: (chunk, payload) => {
          payload?.(chunk)
          return chunk.length
        },
        done: false,
        untilClose: true,
      }
    case 'length':
      return new LengthTracker(framing.length)
    case 'chunked':
      return new ChunkedTracker()
  }
}

class LengthTracker implements BodyTracker {
  readonly untilClose = false
  #left: number

  constructor(length: number) {
    this.#left = length
  }

  get done(): boolean {
    return this.#left === 0
  }

  feed(chunk: Buffer, payload?: (data: Buffer) => void): number {
    const take = Math.min(this.#left, chunk.length)
    this.#left -= take
    if (take > 0) payload?.(take === chunk.length ? chunk : chunk.subarray(0, take))
    return take
  }
}

const CR = 0x0d
const LF = 0x0a
/** More hex digits than this means a chunk of 2^48 bytes or more: refused, as no body is that big. */
const MAX_SIZE_DIGITS = 12

type ChunkState =
  | 'size'
  | 'ext'
  | 'sizeLf'
  | 'data'
  | 'dataCr'
  | 'dataLf'
  | 'trailerStart'
  | 'trailer'
  | 'trailerLf'
  | 'endLf'
  | 'done'

/**
 * Finds the end of a chunked body (RFC 9112 §7.1): chunk-size [chunk-ext] CRLF data CRLF ..., then
 * last-chunk, trailer fields and the final CRLF. Scans without copying; the chunks' data is handed
 * to `payload` as slices of the input.
 */
class ChunkedTracker implements BodyTracker {
  readonly untilClose = false
  #state: ChunkState = 'size'
  #size = 0
  #digits = 0

  get done(): boolean {
    return this.#state === 'done'
  }

  feed(chunk: Buffer, payload?: (data: Buffer) => void): number {
    let i = 0
    while (i < chunk.length && this.#state !== 'done') {
      if (this.#state === 'data') {
        const take = Math.min(this.#size, chunk.length - i)
        payload?.(chunk.subarray(i, i + take))
        this.#size -= take
        i += take
        if (this.#size === 0) this.#state = 'dataCr'
        continue
      }
      this.#step(chunk[i] as number)
      i++
    }
    return i
  }

  #step(byte: number): void {
    switch (this.#state) {
      case 'size':
        return this.#sizeByte(byte)
      case 'ext':
        if (byte === CR) this.#state = 'sizeLf'
        else if (byte === LF || byte === 0) throw new Error('bad chunk extension')
        return
      case 'sizeLf':
        this.#expect(byte, LF, this.#size === 0 ? 'trailerStart' : 'data')
        this.#digits = 0
        return
      case 'dataCr':
        return this.#expect(byte, CR, 'dataLf')
      case 'dataLf':
        return this.#expect(byte, LF, 'size')
      case 'trailerStart':
        this.#state = byte === CR ? 'endLf' : 'trailer'
        return
      case 'trailer':
        if (byte === CR) this.#state = 'trailerLf'
        return
      case 'trailerLf':
        return this.#expect(byte, LF, 'trailerStart')
      case 'endLf':
        return this.#expect(byte, LF, 'done')
      default:
        return
    }
  }

  #sizeByte(byte: number): void {
    const digit = hexValue(byte)
    if (digit !== -1) {
      if (++this.#digits > MAX_SIZE_DIGITS) throw new Error('chunk size too large')
      this.#size = this.#size * 16 + digit
    } else if (this.#digits === 0) {
      throw new Error('chunk size missing')
    } else if (byte === CR) {
      this.#state = 'sizeLf'
    } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
      this.#state = 'ext'
    } else {
      throw new Error('bad chunk size')
    }
  }

  #expect(byte: number, wanted: number, next: ChunkState): void {
    if (byte !== wanted) throw new Error('bad chunk framing')
    this.#state = next
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}
