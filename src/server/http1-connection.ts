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
import type { BodyTracker } from '../proxy/response-body.js'
import type { Refusal } from '../proxy/request-checks.js'
import type { RequestHead } from '../proxy/request-head.js'
import { SocketReply, type ReplyOwner } from '../proxy/socket-reply.js'
import { minimalResponse } from '../proxy/http-head.js'
import { ConnectionTimer } from './connection-timer.js'
import type { Http1Handlers } from './http1-handlers.js'
import type { Http1Limits } from './http1-limits.js'
import { http1Request, noContinue, type ContinueOwner } from './http1-request.js'
import { RequestBody, type BodyOwner } from './request-body.js'
import { requestBodyTracker } from './request-body-tracker.js'
import { RequestBuffer } from './request-buffer.js'
import { STATUS_CODES } from 'node:http'

type State = 'idle' | 'head' | 'body' | 'waiting' | 'discard' | 'closed' | 'upgraded'

/** Bytes of pipelined requests held while an answer is under way; reading pauses beyond it. */
const PIPELINE_BYTES = 64 * 1024
/** After our last byte, how long a client that does not close its side keeps the socket. */
const CLOSING_MS = 1000

export class Http1Connection implements ReplyOwner, BodyOwner, ContinueOwner {
  readonly #socket: Duplex
  readonly #handlers: Http1Handlers
  readonly #limits: Http1Limits
  #state: State = 'idle'
  /** Read and not used yet: a head in parts, pipelined requests. */
  readonly #input = new RequestBuffer()
  #tracker: BodyTracker | undefined
  #body: RequestBody | undefined
  #reply: SocketReply | undefined
  /** The one timer, re-armed for whatever the connection waits on (connection-timer.ts). */
  readonly #timer: ConnectionTimer
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
    this.#timer = new ConnectionTimer(this.#onTimer)
    socket.on('data', this.#onData)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
    this.#timer.arm(limits.idleTimeoutMs, 'idle')
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
    if (this.#timer.wait === 'body') this.#timer.disarm()
  }

  /** BodyOwner: the body's reader wants more (also called once as it starts reading). */
  bodyWanted(): void {
    this.#socket.resume()
    this.#armBody()
  }

  /** ContinueOwner: the handler wants the body; sent only while its request is read. */
  continueBody(body: Readable): boolean {
    if (this.#body !== body) return false
    this.#socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1')
    // A client that waited for this sends its body only now: its pause counts from here.
    this.#awaitingContinue = false
    this.#armBody()
    return true
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
      this.#timer.arm(this.#limits.lingerMs, 'linger')
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
        this.#input.gather(chunk)
        if (this.#input.length > PIPELINE_BYTES) this.#socket.pause()
        return
      case 'idle':
      case 'head':
        this.#input.gather(chunk)
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
    this.#timer.disarm()
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

  #readNext(): void {
    if (this.#input.length === 0) {
      this.#state = 'idle'
      this.#timer.arm(this.#limits.idleTimeoutMs, 'idle')
      this.#socket.resume()
      return
    }
    const parsed = this.#input.readHead(this.#limits.maxHeadBytes, this.#state === 'head')
    if (parsed === undefined) {
      if (this.#state !== 'head') this.#timer.arm(this.#limits.headerTimeoutMs, 'head')
      this.#state = 'head'
      this.#socket.resume()
      return
    }
    this.#timer.unheed()
    if ('status' in parsed) return this.#refuse(parsed)
    this.#input.dropHead(parsed.size)
    this.#start(parsed)
  }

  #start(head: RequestHead): void {
    this.#tracker = requestBodyTracker(head)
    const body = this.#tracker ? new RequestBody(this) : null
    this.#body = body ?? undefined
    const req = http1Request(head, body, this.#socket, this)
    this.#awaitingContinue = req.continue !== noContinue
    if (head.upgrade) {
      this.#state = 'upgraded'
      const rest = this.#input.take()
      this.#detach()
      if (this.#handlers.upgrade(req, rest)) return
      this.#attach()
      this.#input.putBack(rest)
      head.close = true
    }
    const reply = new SocketReply(this.#socket, this, head.method, head.version, head.close)
    this.#state = body ? 'body' : 'waiting'
    if (body && this.#input.length > 0) {
      const taken = this.#input.take()
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
    if (this.#state !== 'body' || this.#timer.wait === 'body' || this.#awaitingContinue) return
    if (!this.#socket.isPaused()) this.#timer.arm(this.#limits.bodyTimeoutMs, 'body')
  }

  #feedBody(chunk: Buffer): void {
    const tracker = this.#tracker
    if (!tracker) return
    const body = this.#state === 'body' ? this.#body : undefined
    // A read: the body timeout starts again.
    if (body && this.#timer.wait === 'body') this.#timer.refresh()
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
      this.#input.gather(rest)
    }
    if (!tracker.done) return
    this.#tracker = undefined
    body?.complete()
    this.#body = undefined
    if (this.#state === 'discard') {
      this.#timer.disarm()
      if (this.#closeAfterBody) this.#endAfterWrite()
      else this.#next()
    } else {
      this.#timer.disarm()
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
      this.#handlers.refused?.(refusal.status, bodyBytes, this.#input.headMs())
    }
  }

  #endAfterWrite(): void {
    this.#state = 'closed'
    this.#detach()
    this.#socket.end()
    // A client that never reads must not hold the socket open.
    this.#timer.arm(CLOSING_MS, 'closing')
  }

  #expired(): void {
    const wait = this.#timer.fired()
    if (wait === 'none') return
    if (wait === 'head' && this.#state === 'head') {
      const ms = this.#limits.headerTimeoutMs
      return this.#refuse({
        status: 408,
        message: `request head not received within ${ms} ms`,
        close: true,
      })
    }
    if (wait === 'body' && this.#state === 'body') return this.#bodyTimedOut()
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
