/**
 * One HTTP/1.1 connection served without node:http (RFC 9112): heads read by our own strict parser
 * (request-head.ts), bodies decoded by the framing trackers of response-body.ts, answers written by
 * {@link SocketReply}. One request at a time: pipelined requests wait, parsed only once the answer
 * before them is written, so answers can never leave out of order (RFC 9112 §9.3.2).
 *
 * node:http costs about a quarter of the proxy's CPU per request (BENCHMARKS.md, `tls-dispatch`
 * row); this is the replacement for the gateway's HTTP/1.1 side.
 */
import type { Duplex, Readable } from 'node:stream'
import { bodyTracker, type BodyTracker } from '../proxy/response-body.js'
import type { Refusal } from '../proxy/request-checks.js'
import { parseRequestHead, type RequestHead } from '../proxy/request-head.js'
import { SocketReply, type ReplyOwner } from '../proxy/socket-reply.js'
import { minimalResponse } from '../proxy/http-head.js'
import type { Http1Request } from '../proxy/types.js'
import { appendBytes } from './append-bytes.js'
import { RequestBody, type BodyOwner } from './request-body.js'
import { STATUS_CODES } from 'node:http'

export interface Http1Limits {
  /** The parser's hard bound on a request head, bytes (431 beyond it). */
  maxHeadBytes: number
  /** From the first byte of a head to its end, ms (408 after it). */
  headerTimeoutMs: number
  /**
   * The longest pause between two reads of a request body, ms (408 after it, or the connection
   * destroyed once the answer has begun), as nginx's `client_body_timeout`. Not counted while the
   * body's reader is full: that wait is the handler's, not the client's.
   */
  bodyTimeoutMs: number
  /** How long a connection may wait for its next request, ms (closed after it). */
  idleTimeoutMs: number
  /** How long an answered request's unread body may keep coming before the connection closes, ms. */
  lingerMs: number
}

export interface Http1Handlers {
  request(req: Http1Request, reply: SocketReply): void
  /**
   * A request with `Connection: upgrade` and an Upgrade field. Return true to take the socket over
   * (`rest`: bytes read past the head); false serves it as a plain request on a connection that
   * closes after it (RFC 9110 §7.8 lets a server ignore an upgrade).
   */
  upgrade(req: Http1Request, rest: Buffer): boolean
  /**
   * A request refused before it reached {@link request}: its head unreadable, too large or too slow
   * (400, 431, 408), or its chunked body malformed in the head's packet. `bodyBytes` is the length of
   * the answer's body; `durationMs`, the time from the head's first byte to the refusal. For the
   * access log; the connection closes after the answer.
   */
  refused?(status: number, bodyBytes: number, durationMs: number): void
}

type State = 'idle' | 'head' | 'body' | 'waiting' | 'discard' | 'closed' | 'upgraded'
/** What the one timer bounds; `none` while a request is served (a timer left running is unheeded). */
type Wait = 'idle' | 'head' | 'body' | 'linger' | 'closing' | 'none'

/** Bytes of pipelined requests held while an answer is under way; reading pauses beyond it. */
const PIPELINE_BYTES = 64 * 1024
/** After our last byte, how long a client that does not close its side keeps the socket. */
const CLOSING_MS = 1000
const EMPTY = Buffer.alloc(0)

export class Http1Connection implements ReplyOwner, BodyOwner {
  readonly #socket: Duplex
  readonly #handlers: Http1Handlers
  readonly #limits: Http1Limits
  #state: State = 'idle'
  #buffer: Buffer = EMPTY
  /** The storage #buffer was gathered into, when it was (see #gather). */
  #store: Buffer | undefined
  #tracker: BodyTracker | undefined
  #body: RequestBody | undefined
  #reply: SocketReply | undefined
  /** The one timer, for what #wait says: re-armed as the connection moves on, never two at once. */
  #timer: NodeJS.Timeout | undefined
  /** The length #timer was made with: arming it again for as long is a refresh(). */
  #timerMs = 0
  #wait: Wait = 'idle'
  /** Bytes at the start of #buffer searched for the end of a head by a parse that found none. */
  #scanned = 0
  /**
   * performance.now() at the first byte of a head that came in parts (when the header timeout
   * starts), for a refusal's duration; -1 for a head read whole from one packet: its refusal took
   * no time, and the keep-alive path reads no clock.
   */
  #headStart = -1
  /** The request asked for 100 Continue, not sent yet: the client may hold its body back till then. */
  #awaitingContinue = false
  #closeAfterBody = false
  /** #next is running: a call from inside it (an answer ended in the handler) asks it for one more pass. */
  #reading = false
  #readAgain = false

  constructor(socket: Duplex, handlers: Http1Handlers, limits: Http1Limits) {
    this.#socket = socket
    this.#handlers = handlers
    this.#limits = limits
    socket.on('data', this.#onData)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
    this.#arm(limits.idleTimeoutMs, 'idle')
  }

  /** Closes the connection if it waits for a request (RFC 9112 §9.6); returns whether it did. */
  closeIdle(): boolean {
    if (this.#state !== 'idle') return false
    this.#socket.destroy()
    return true
  }

  /** BodyOwner: the body's reader is full. Its wait is not the client's: no body timeout meanwhile. */
  bodyFull(): void {
    this.#socket.pause()
    if (this.#wait === 'body') this.#disarm()
  }

  /** BodyOwner: the body's reader wants more (also called once as it starts reading). */
  bodyWanted(): void {
    this.#socket.resume()
    this.#armBody()
  }

  /** ReplyOwner: the answer was handed to the socket in full. */
  finished(close: boolean): void {
    this.#reply = undefined
    if (this.#state === 'body') {
      // Answered before the body was read: it is read and dropped, within a bound, to reach the
      // next request (as node:http does) or, when closing, so the client reads the answer rather
      // than a reset (closing with unread data sends RST).
      this.#state = 'discard'
      this.#closeAfterBody = close
      this.#body?.destroy()
      this.#body = undefined
      this.#arm(this.#limits.lingerMs, 'linger')
      this.#socket.resume()
      return
    }
    if (close) return this.#endAfterWrite()
    if (this.#state === 'waiting') this.#next()
  }

  readonly #onData = (chunk: Buffer): void => {
    switch (this.#state) {
      case 'body':
      case 'discard':
        return this.#feedBody(chunk)
      case 'waiting':
        this.#gather(chunk)
        if (this.#buffer.length > PIPELINE_BYTES) this.#socket.pause()
        return
      case 'idle':
      case 'head':
        this.#gather(chunk)
        return this.#next()
      default:
        return
    }
  }

  readonly #onError = (): void => {
    this.#socket.destroy()
  }

  /** One callback for every timer of the connection: no closure per request. */
  readonly #onTimer = (): void => {
    this.#expired()
  }

  readonly #onClose = (): void => {
    this.#state = 'closed'
    this.#disarm()
    if (this.#body && !this.#tracker?.done) this.#body.destroy(new Error('the client went away'))
    this.#reply?.ended()
  }

  /**
   * Reads the next request from what has arrived, or waits for it. A loop, not recursion: a handler
   * that answers at once calls back here through finished(), and a few thousand pipelined requests
   * would overflow the stack inside the socket's 'data' handler (an uncaught RangeError).
   */
  #next(): void {
    if (this.#reading) {
      this.#readAgain = true
      return
    }
    this.#reading = true
    try {
      do {
        this.#readAgain = false
        this.#readNext()
      } while (this.#readAgain)
    } finally {
      this.#reading = false
    }
  }

  /** Appends a packet to #buffer, copying each byte a bounded number of times (append-bytes.ts). */
  #gather(chunk: Buffer): void {
    // The keep-alive path: a request in a packet of its own, taken as it is.
    if (this.#buffer.length === 0) {
      this.#buffer = chunk
      this.#store = undefined
      return
    }
    const g = appendBytes({ bytes: this.#buffer, store: this.#store }, chunk)
    this.#buffer = g.bytes
    this.#store = g.store
  }

  #readNext(): void {
    if (this.#buffer.length === 0) {
      this.#state = 'idle'
      this.#arm(this.#limits.idleTimeoutMs, 'idle')
      this.#socket.resume()
      return
    }
    if (this.#state !== 'head') this.#headStart = -1
    const parsed = parseRequestHead(this.#buffer, this.#limits.maxHeadBytes, this.#scanned)
    if (parsed === undefined) {
      // The next packet's search resumes here: a head sent a byte at a time costs linear time.
      this.#scanned = this.#buffer.length
      if (this.#state !== 'head') {
        this.#headStart = performance.now()
        this.#arm(this.#limits.headerTimeoutMs, 'head')
      }
      this.#state = 'head'
      this.#socket.resume()
      return
    }
    this.#scanned = 0
    // Not cleared: on keep-alive the idle wait after the answer refreshes this very timer, where a
    // clear and a new one would allocate per request.
    this.#wait = 'none'
    if ('status' in parsed) return this.#refuse(parsed)
    // An empty rest must not keep the chunk it came from alive on an idle connection.
    this.#buffer = parsed.size === this.#buffer.length ? EMPTY : this.#buffer.subarray(parsed.size)
    this.#store = undefined
    this.#start(parsed)
  }

  #start(head: RequestHead): void {
    const framing = head.chunked
      ? ({ kind: 'chunked' } as const)
      : head.contentLength
        ? ({ kind: 'length', length: head.contentLength } as const)
        : undefined
    this.#tracker = framing ? bodyTracker(framing) : undefined
    const body = framing ? new RequestBody(this) : null
    this.#body = body ?? undefined
    const req = this.#request(head, body)
    this.#awaitingContinue = req.continue !== noop
    if (head.upgrade) {
      this.#state = 'upgraded'
      const rest = this.#buffer
      this.#buffer = EMPTY
      this.#detach()
      if (this.#handlers.upgrade(req, rest)) return
      this.#attach()
      this.#buffer = rest
      head.close = true
    }
    const reply = new SocketReply(this.#socket, this, head.method, head.version, head.close)
    this.#state = body ? 'body' : 'waiting'
    if (body && this.#buffer.length > 0) {
      const taken = this.#buffer
      this.#buffer = EMPTY
      // Fed before the reply is the connection's: a refusal here (a malformed chunked body, 400) is
      // of a request no handler will see, reported to `refused` for the access log.
      this.#feedBody(taken)
      if ((this.#state as State) === 'closed') return
    }
    this.#reply = reply
    this.#armBody()
    this.#handlers.request(req, reply)
  }

  /**
   * Starts the body timeout if the client is the one awaited: a body still to come (one that came
   * with its head costs no timer), read from the socket (not held for a full reader: bodyWanted
   * calls this again), and not held back by the client for a 100 Continue we have not sent.
   */
  #armBody(): void {
    if (this.#state !== 'body' || this.#wait === 'body' || this.#awaitingContinue) return
    if (!this.#socket.isPaused()) this.#arm(this.#limits.bodyTimeoutMs, 'body')
  }

  #request(head: RequestHead, body: Readable | null): Http1Request {
    const socket = this.#socket
    if (!body || !expectsContinue(head.rawHeaders)) return { head, body, socket, continue: noop }
    let sent = false
    const sendContinue = (): void => {
      // Once the request is over (answered, refused, or its body in), an interim answer would
      // arrive after the final one (RFC 9110 §15.2): the handler asked too late.
      if (sent || this.#body !== body) return
      sent = true
      socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1')
      // A client that waited for this sends its body only now: its pause counts from here.
      this.#awaitingContinue = false
      this.#armBody()
    }
    return { head, body, socket, continue: sendContinue }
  }

  #feedBody(chunk: Buffer): void {
    const tracker = this.#tracker
    if (!tracker) return
    const body = this.#state === 'body' ? this.#body : undefined
    // A read: the body timeout starts again (refresh() reuses the timer, nothing is allocated).
    if (body && this.#wait === 'body') this.#timer?.refresh()
    let used: number
    try {
      used = tracker.feed(chunk, body ? (data) => body.deliver(data) : undefined)
    } catch (err) {
      // RFC 9112 §7.1: a body we cannot frame leaves nothing on the connection to trust. Once the
      // answer has gone (the body was being dropped), there is nothing left to say: just close.
      if (this.#state === 'discard') return this.#endAfterWrite()
      body?.destroy(err as Error)
      return this.#refuse({ status: 400, message: 'malformed chunked body', close: true })
    }
    if (used < chunk.length) {
      const rest = chunk.subarray(used)
      this.#gather(rest)
    }
    if (!tracker.done) return
    this.#tracker = undefined
    body?.complete()
    this.#body = undefined
    if (this.#state === 'discard') {
      this.#disarm()
      if (this.#closeAfterBody) this.#endAfterWrite()
      else this.#next()
    } else {
      this.#disarm()
      this.#state = 'waiting'
    }
  }

  /** Answers a request we cannot read and closes: after it nothing on the connection is trusted. */
  #refuse(refusal: Refusal): void {
    const reply = this.#reply
    this.#reply = undefined
    if (reply?.headersSent) {
      // Its onClose callbacks run too: the handler learns that the exchange is over.
      reply.destroy()
      return
    }
    const text = STATUS_CODES[refusal.status] ?? 'Error'
    const answer = minimalResponse(refusal.status, text, refusal.message)
    const bodyBytes = answer.length - answer.indexOf('\r\n\r\n') - 4
    if (reply) {
      // A request the handler saw is logged by it as its reply closes: with what was sent, not
      // the status 0 of a client that went away.
      reply.status = refusal.status
      reply.bytes = bodyBytes
      reply.ended()
    }
    this.#socket.write(answer)
    this.#endAfterWrite()
    if (reply === undefined) {
      const ms = this.#headStart < 0 ? 0 : performance.now() - this.#headStart
      this.#handlers.refused?.(refusal.status, bodyBytes, ms)
    }
  }

  #endAfterWrite(): void {
    this.#state = 'closed'
    this.#detach()
    this.#socket.end()
    // A client that never reads must not hold the socket open.
    this.#arm(CLOSING_MS, 'closing')
  }

  #arm(ms: number, wait: Wait): void {
    if (this.#timer !== undefined && this.#timerMs === ms) {
      this.#wait = wait
      this.#timer.refresh()
      return
    }
    this.#disarm()
    this.#wait = wait
    this.#timerMs = ms
    this.#timer = setTimeout(this.#onTimer, ms).unref()
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#wait = 'none'
  }

  #expired(): void {
    this.#timer = undefined
    if (this.#wait === 'none') return
    if (this.#wait === 'head' && this.#state === 'head') {
      const ms = this.#limits.headerTimeoutMs
      return this.#refuse({
        status: 408,
        message: `request head not received within ${ms} ms`,
        close: true,
      })
    }
    if (this.#wait === 'body' && this.#state === 'body') return this.#bodyTimedOut()
    this.#socket.destroy()
  }

  /**
   * The client paused its body past the bound (RFC 9110 §15.5.9: 408, the server closes). The body
   * fails first, so that whatever it feeds (an upstream request) is aborted, not left waiting; an
   * answer already begun can only be cut off (#refuse).
   */
  #bodyTimedOut(): void {
    const message = `request body stalled: no byte for ${this.#limits.bodyTimeoutMs} ms`
    this.#body?.destroy(new Error(message))
    this.#body = undefined
    this.#tracker = undefined
    this.#refuse({ status: 408, message, close: true })
  }

  /**
   * Stops reading requests (closing, or the socket handed over by an upgrade). The 'error' listener
   * stays: an error on a socket nobody listens to would end the process.
   */
  #detach(): void {
    this.#socket.off('data', this.#onData)
    this.#socket.off('close', this.#onClose)
  }

  #attach(): void {
    this.#socket.on('data', this.#onData)
    this.#socket.on('close', this.#onClose)
  }
}

function noop(): void {}

function expectsContinue(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 6 && name.toLowerCase() === 'expect')
      return (raw[i + 1] as string).toLowerCase() === '100-continue'
  }
  return false
}
