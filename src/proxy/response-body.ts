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
const SP = 0x20
const HTAB = 0x09
const SEMICOLON = 0x3b
const EQUALS = 0x3d
const DQUOTE = 0x22
const BACKSLASH = 0x5c
/** Trailer bytes accepted after the last chunk; more is refused. */
const MAX_TRAILER_BYTES = 16 * 1024
/** More hex digits than this means a chunk of 2^48 bytes or more: refused, as no body is that big. */
const MAX_SIZE_DIGITS = 12

type ChunkState =
  | 'size'
  | 'extWs'
  | 'extNameStart'
  | 'extName'
  | 'extNameWs'
  | 'extValue'
  | 'extToken'
  | 'extQuoted'
  | 'extEscape'
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
  #trailerBytes = 0

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
      case 'extWs':
      case 'extNameStart':
      case 'extName':
      case 'extNameWs':
      case 'extValue':
      case 'extToken':
      case 'extQuoted':
      case 'extEscape':
        return this.#extByte(byte)
      case 'sizeLf':
        this.#expect(byte, LF, this.#size === 0 ? 'trailerStart' : 'data')
        this.#digits = 0
        return
      case 'dataCr':
        return this.#expect(byte, CR, 'dataLf')
      case 'dataLf':
        return this.#expect(byte, LF, 'size')
      case 'trailerStart':
      case 'trailer':
        return this.#trailerByte(byte)
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
    } else if (byte === SEMICOLON) {
      this.#state = 'extNameStart'
    } else if (byte === SP || byte === HTAB) {
      this.#state = 'extWs'
    } else {
      throw new Error('bad chunk size')
    }
  }

  /**
   * RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
   * Read to the letter, as llhttp does: `5 5`, `5;` or an unterminated quote is refused rather than
   * skipped to the CR, since a lenient reader and a strict one would find different chunk boundaries.
   */
  #extByte(byte: number): void {
    const next = extensionStep(this.#state, byte)
    if (next === undefined) throw new Error('bad chunk extension')
    this.#state = next
  }

  /**
   * Trailer fields are dropped, but read as strictly as a head (RFC 9112 §7.1.2): a bare LF or a NUL
   * is refused, or a lenient reader before us could take the next request for a trailer line; and
   * they are bounded.
   */
  #trailerByte(byte: number): void {
    if (byte === LF || byte === 0) throw new Error('bad chunked trailer')
    if (++this.#trailerBytes > MAX_TRAILER_BYTES) throw new Error('chunked trailer too large')
    if (byte === CR) this.#state = this.#state === 'trailerStart' ? 'endLf' : 'trailerLf'
    else this.#state = 'trailer'
  }

  #expect(byte: number, wanted: number, next: ChunkState): void {
    if (byte !== wanted) throw new Error('bad chunk framing')
    this.#state = next
  }
}

/** The state after `byte` inside a chunk extension (see `#extByte`); undefined: not allowed. */
function extensionStep(state: ChunkState, byte: number): ChunkState | undefined {
  const ws = byte === SP || byte === HTAB
  const token = isTokenByte(byte)
  switch (state) {
    case 'extWs':
      return ws ? 'extWs' : byte === SEMICOLON ? 'extNameStart' : byte === CR ? 'sizeLf' : undefined
    case 'extNameStart':
      return ws ? 'extNameStart' : token ? 'extName' : undefined
    case 'extName':
    case 'extNameWs':
      if (token && state === 'extName') return 'extName'
      if (ws) return 'extNameWs'
      if (byte === SEMICOLON) return 'extNameStart'
      return byte === EQUALS ? 'extValue' : byte === CR ? 'sizeLf' : undefined
    case 'extValue':
      return ws ? 'extValue' : byte === DQUOTE ? 'extQuoted' : token ? 'extToken' : undefined
    case 'extToken':
      if (token) return 'extToken'
      return ws ? 'extWs' : byte === SEMICOLON ? 'extNameStart' : byte === CR ? 'sizeLf' : undefined
    case 'extQuoted':
      if (byte === DQUOTE) return 'extWs'
      return byte === BACKSLASH ? 'extEscape' : isQdText(byte) ? 'extQuoted' : undefined
    case 'extEscape':
      return isQdText(byte) || byte === DQUOTE || byte === BACKSLASH ? 'extQuoted' : undefined
    default:
      return undefined
  }
}

/** RFC 9110 §5.6.2 tchar. */
function isTokenByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a) ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(byte))
  )
}

/** RFC 9110 §5.6.4 qdtext: HTAB, SP, and visible octets but `"` and `\\`, and obs-text. */
function isQdText(byte: number): boolean {
  return (
    byte === HTAB ||
    byte === SP ||
    byte === 0x21 ||
    (byte >= 0x23 && byte <= 0x5b) ||
    (byte >= 0x5d && byte <= 0x7e) ||
    byte >= 0x80
  )
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}
