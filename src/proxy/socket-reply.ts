/**
 * An HTTP/1.1 response written straight to the connection (RFC 9112 §4-§7), the {@link Reply} of the
 * HTTP/1.1 server of our own (http1-connection.ts): no ServerResponse, no stream objects per request.
 * The head is serialised once from the flat field list; the body is framed by Content-Length when
 * the fields give one, else chunked (HTTP/1.1) or by closing the connection (HTTP/1.0).
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { applyHeaderOps, type CompiledHeaderOps } from './forward-headers.js'
import { relayedFields } from './relayed-fields.js'
import { CONTROL_OCTET, TOKEN } from './http-head.js'
import type { HeadOptions, Reply } from './reply.js'

/** What the connection learns when a response is done. */
export interface ReplyOwner {
  /** The response was handed to the socket in full; `close`: the connection must end after it. */
  finished(close: boolean): void
}

type Framing = 'none' | 'length' | 'chunked' | 'close'

/** RFC 9110 §8.6: Content-Length = 1*DIGIT (15 digits keep it an exact number). */
const DIGITS = /^\d{1,15}$/

export class SocketReply implements Reply {
  readonly proto = '1.1'
  status = 0
  bytes = 0
  finished = false
  headersSent = false
  ops: CompiledHeaderOps | undefined
  readonly #socket: Duplex
  readonly #owner: ReplyOwner
  readonly #isHead: boolean
  readonly #http10: boolean
  #close: boolean
  #framing: Framing = 'none'
  /** Body bytes still owed to the Content-Length sent ('length' framing). */
  #remaining = 0
  #closers: (() => void)[] | undefined
  #closed = false

  /** `close`: the request asked for the connection to end after this response (RFC 9112 §9.6). */
  constructor(socket: Duplex, owner: ReplyOwner, method: string, version: string, close: boolean) {
    this.#socket = socket
    this.#owner = owner
    this.#isHead = method === 'HEAD'
    this.#http10 = version !== '1.1'
    this.#close = close
  }

  head(status: number, headers: string[], options?: HeadOptions): void {
    // The connection went away, or refused the request itself: nothing more is written.
    if (this.#closed) return
    if (this.headersSent) throw new Error('the response head was sent already')
    const fields = this.ops ? applyHeaderOps(headers, this.ops) : headers
    if (options?.close === true) this.#close = true
    let text = statusLine(status)
    let length: string | undefined
    let date = false
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i] as string
      const value = fields[i + 1] as string
      // A bad name or value must not split the response.
      if (!TOKEN.test(name)) throw new TypeError(`bad header name "${name}"`)
      if (CONTROL_OCTET.test(value)) throw new TypeError(`bad octet in header ${name}`)
      // Only names of the lengths looked for are lower-cased: most fields are ruled out at once.
      const n = name.length
      const lower = n === 4 || n === 10 || n === 14 || n === 17 ? name.toLowerCase() : ''
      if (lower === 'content-length') {
        // The body written is held to it, so it must be one number (RFC 9110 §8.6).
        if (!DIGITS.test(value)) throw new TypeError(`bad Content-Length "${value}"`)
        if (length === value) continue
        if (length !== undefined) throw new TypeError('two different Content-Length values')
        length = value
      } else if (lower === 'date') date = true
      // Framing and connection fields are ours to write (RFC 9112 §6.1, §9.6).
      else if (lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding')
        continue
      text += `${name}: ${value}\r\n`
    }
    const contentLength = length === undefined ? undefined : Number(length)
    this.#send(`${text}${this.#frame(status, contentLength, date)}`)
  }

  /**
   * An upstream's head as undici's parser passed it, written from its bytes: no string is made of
   * each field (relayed-fields.ts). Its names and values are not checked again: the parser refuses
   * any but token names and values free of control octets (RFC 9110 §5.1, §5.5), which
   * proxy-upstream-fields.test.ts holds it to; the rules' fields were checked at load.
   */
  relayHead(
    status: number,
    raw: readonly Buffer[],
    ops: CompiledHeaderOps,
    setCookie: string | undefined,
  ): void {
    if (this.#closed) return
    if (this.headersSent) throw new Error('the response head was sent already')
    const fields = relayedFields(raw, ops)
    let added = setCookie === undefined ? '' : `set-cookie: ${setCookie}\r\n`
    let date = fields.date
    for (let i = 0; i < ops.add.length; i += 2) {
      if (ops.add[i] === 'date') date = true
      added += `${ops.add[i] as string}: ${ops.add[i + 1] as string}\r\n`
    }
    const first = statusLineBytes(status)
    const rest = `${added}${this.#frame(status, fields.contentLength, date)}`
    const buf = Buffer.allocUnsafe(first.length + fields.bytes + rest.length)
    buf.set(first, 0)
    let at = first.length
    for (const i of fields.kept) {
      const name = raw[i] as Buffer
      const value = raw[i + 1] as Buffer
      buf.set(name, at)
      at += name.length
      buf[at++] = 0x3a // :
      buf[at++] = 0x20
      buf.set(value, at)
      at += value.length
      buf[at++] = 0x0d
      buf[at++] = 0x0a
    }
    buf.write(rest, at, 'latin1')
    this.#send(buf)
  }

  write(chunk: Buffer | string): boolean {
    if (this.#framing === 'none' || this.#closed) return true
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
    if (length === 0) return true
    if (this.#framing === 'length') {
      // RFC 9112 §6.3: bytes past the Content-Length would be read as the next response.
      if (length > this.#remaining) {
        this.destroy()
        return true
      }
      this.#remaining -= length
    }
    this.bytes += length
    if (this.#framing !== 'chunked') return this.#socket.write(chunk)
    this.#socket.write(`${length.toString(16)}\r\n`, 'latin1')
    this.#socket.write(chunk)
    return this.#socket.write('\r\n', 'latin1')
  }

  end(chunk?: Buffer | string): void {
    if (this.finished || this.#closed) return
    if (!this.headersSent) this.head(200, ['content-length', '0'])
    if (chunk !== undefined) this.write(chunk)
    if (this.#closed) return
    if (this.#remaining > 0) return this.#endShort()
    if (this.#framing === 'chunked') this.#socket.write('0\r\n\r\n', 'latin1')
    this.finished = true
    uncork(this.#socket)
    this.#owner.finished(this.#close)
    // After the caller's own bookkeeping, as node:http emits 'close' on a later tick: a caller that
    // ends and then settles must not see the end as the client going away.
    process.nextTick(runClosers, this)
  }

  onceDrain(fn: () => void): void {
    this.#socket.once('drain', fn)
  }

  onClose(fn: () => void): void {
    if (this.#closed) return fn()
    ;(this.#closers ??= []).push(fn)
  }

  destroy(): void {
    this.#socket.destroy()
    this.ended()
  }

  /**
   * Answering before the body was read (413): the connection ends after this response, and until
   * the body has come (within its linger bound) it is read and dropped, so that the client reads the
   * answer instead of a reset.
   */
  lingerBody(): void {
    if (!this.headersSent) this.#close = true
  }

  /**
   * Settles the framing from the fields' Content-Length, and returns the lines that end the head:
   * the framing and connection fields are ours to write (RFC 9112 §6.1, §9.6), and a Date when the
   * fields had none (RFC 9110 §6.6.1).
   */
  #frame(status: number, length: number | undefined, date: boolean): string {
    this.#framing = this.#framingFor(status, length !== undefined)
    let text = ''
    if (this.#framing === 'length') this.#remaining = length as number
    if (this.#framing === 'chunked') text += 'transfer-encoding: chunked\r\n'
    if (this.#framing === 'close') this.#close = true
    if (!date) text += `date: ${httpDate()}\r\n`
    if (this.#close) text += 'connection: close\r\n'
    else if (this.#http10) text += 'connection: keep-alive\r\n'
    this.status = status
    this.headersSent = true
    return `${text}\r\n`
  }

  #send(head: Buffer | string): void {
    // Head, body and end of a small answer leave in one write: uncorked at the end of this tick or
    // by end(), whichever comes first.
    this.#socket.cork()
    process.nextTick(uncork, this.#socket)
    if (typeof head === 'string') this.#socket.write(head, 'latin1')
    else this.#socket.write(head)
  }

  /**
   * Ended before the Content-Length it sent (RFC 9112 §8: an incomplete message). Kept open, the
   * connection would have the client read the next response as the rest of this body: it is cut off,
   * the closers run a tick later as for a whole answer.
   */
  #endShort(): void {
    this.#socket.destroy()
    process.nextTick(runClosers, this)
  }

  #framingFor(status: number, hasLength: boolean): Framing {
    // RFC 9110 §6.4.1: no content in answers to HEAD, in 1xx, 204 and 304.
    if (this.#isHead || status < 200 || status === 204 || status === 304) return 'none'
    if (hasLength) return 'length'
    return this.#http10 ? 'close' : 'chunked'
  }

  /** The exchange is over (answered, or the connection went away): runs the onClose callbacks, once. */
  ended(): void {
    if (this.#closed) return
    this.#closed = true
    const closers = this.#closers
    this.#closers = undefined
    if (closers) for (const fn of closers) fn()
  }
}

/** Status lines as bytes, made on first use (an upstream's status is any of 100-999). */
const STATUS_LINES: (Buffer | undefined)[] = []

function statusLineBytes(status: number): Buffer {
  return (STATUS_LINES[status] ??= Buffer.from(statusLine(status), 'latin1'))
}

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`
}

function runClosers(reply: SocketReply): void {
  reply.ended()
}

function uncork(socket: Duplex): void {
  while (socket.writableCorked > 0) socket.uncork()
}

let dateSecond = NaN
let dateText = ''

/** RFC 9110 §5.6.7 IMF-fixdate, computed once a second. */
function httpDate(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateText = new Date(now).toUTCString()
  }
  return dateText
}
