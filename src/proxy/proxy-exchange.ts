/**
 * One request forwarded to an upstream through undici's `Dispatcher.dispatch` (the callback handler,
 * undici's native path: no stream wrappers, no promise per request). Bodies stream both ways with
 * backpressure: the request body is the client's readable side, which undici pauses while the
 * upstream socket is full; a response chunk the client cannot take pauses the upstream parser until
 * the client side drains.
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { forwardRequestHeaders, type CompiledHeaderOps } from './forward-headers.js'
import { BodyStalled, BodyTooLarge } from './limited-body.js'
import { sendText, type Reply } from './reply.js'
import type { ProxyRoute } from './types.js'
import { failureOf, UpstreamAttempts } from './upstream-attempts.js'
import { upstreamFailure } from './upstream-errors.js'
import type { Upstream, UpstreamGroup } from './upstream-group.js'

/** A proxy route's live state, shared by every request on it. */
export interface ProxyRouteState {
  readonly options: ProxyRoute
  readonly group: UpstreamGroup
  readonly up: CompiledHeaderOps
  readonly down: CompiledHeaderOps
}

/** The parsed request, whichever protocol it came on. */
export interface ForwardedRequest {
  method: string
  /**
   * Origin-form path and query, normalised: the upstream gets the path routing matched, never one
   * with dot-segments left for it to resolve (see normalize-path.ts for the choice).
   */
  path: string
  /** Flat field list as received (HTTP/2 pseudo-headers are skipped when forwarding). */
  rawHeaders: readonly string[]
  /** Host or :authority as received. */
  rawHost: string
  /** The client's body, or null when it has none (then idempotent requests may be retried). */
  body: Readable | null
  peer: string
  trusted: boolean
  /** `1.1` or `2`. */
  version: string
  cookie: string | undefined
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly #route: ProxyRouteState
  readonly #req: ForwardedRequest
  readonly #reply: Reply
  readonly #via: string
  #upstream: Upstream | undefined
  #setCookie: string | undefined
  #abort: ((err?: Error) => void) | undefined
  #resume: (() => void) | undefined
  #waitingDrain = false
  readonly #attempts: UpstreamAttempts
  #inFlight = false
  #done = false
  #clientGone = false
  readonly #onDrain = (): void => {
    this.#waitingDrain = false
    this.#resume?.()
  }

  constructor(route: ProxyRouteState, req: ForwardedRequest, reply: Reply, via: string) {
    this.#route = route
    this.#req = req
    this.#reply = reply
    this.#via = via
    this.#attempts = new UpstreamAttempts(route.group, route.options, {
      method: req.method,
      hasBody: req.body !== null,
      clientIp: req.peer,
      cookie: req.cookie,
    })
  }

  /** `http://host:port` of the upstream tried last, for the access log. */
  get upstream(): string | undefined {
    return this.#upstream?.label
  }

  start(): void {
    this.#reply.onClose(() => {
      if (this.#done) return
      this.#clientGone = true
      this.#abort?.(new Error('the client closed the connection'))
    })
    this.#attempt()
  }

  #attempt(): void {
    const { group, options } = this.#route
    const pick = this.#attempts.next()
    if (!pick) return this.#fail(502, 'no healthy upstream')
    const upstream = pick.upstream
    this.#upstream = upstream
    this.#setCookie = pick.setCookie
    const req = this.#req
    const base = upstream.url.pathname
    const headers = forwardRequestHeaders(
      req.rawHeaders,
      {
        peer: req.peer,
        trusted: req.trusted,
        host: req.rawHost,
        upstreamHost: options.preserveHost ? req.rawHost : upstream.url.host,
        version: req.version,
        via: this.#via,
        websocket: false,
      },
      this.#route.up,
    )
    this.#inFlight = true
    group.begin(upstream)
    upstream.dispatcher.dispatch(
      {
        method: req.method,
        path: base.length > 1 ? `${base.replace(/\/$/, '')}${req.path}` : req.path,
        headers,
        body: req.body,
        headersTimeout: options.responseTimeoutMs,
        // A response may pause as long as the client reads slowly; the front idle timeout bounds it.
        bodyTimeout: 0,
        // Given, undici does not derive one from each Host field (an IP-address test per request,
        // ~0.4% of the proxy's CPU). Not in undici's types; an https pool sets its own SNI name
        // over it (upstream-dispatcher.ts).
        servername: upstream.url.hostname,
      } as Dispatcher.DispatchOptions,
      this,
    )
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort
    if (this.#clientGone) abort(new Error('the client closed the connection'))
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx interim answers (RFC 9110 §15.2) are not relayed: Node answered 100-continue itself.
    if (statusCode < 200) return true
    this.#resume = resume
    try {
      this.#reply.relayHead(statusCode, rawHeaders, this.#route.down, this.#setCookie)
    } catch (err) {
      // A field the answer cannot carry (a bad Content-Length): nothing has reached the client.
      this.#abort?.(err as Error)
      return false
    }
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.#reply.write(chunk)) return true
    if (!this.#waitingDrain) {
      this.#waitingDrain = true
      this.#reply.onceDrain(this.#onDrain)
    }
    return false
  }

  onComplete(): void {
    this.#reply.end()
    this.#settle()
    if (this.#upstream) this.#attempts.answered(this.#upstream)
  }

  onError(err: Error): void {
    this.#settle()
    const upstream = this.#upstream
    if (this.#clientGone || !upstream) return
    if (err instanceof BodyTooLarge) {
      this.#fail(413, `request body larger than ${this.#route.options.maxBodyBytes} bytes`)
      return
    }
    // RFC 9110 §15.5.9: the client did not send the rest of its request in time.
    if (err instanceof BodyStalled) return this.#fail(408, err.message)
    const answerBegun = this.#reply.headersSent
    if (this.#attempts.failed(upstream, failureOf(err), err, { answerBegun })) {
      this.#done = false
      this.#attempt()
      return
    }
    const failure = upstreamFailure(err, upstream.url.host, this.#route.options)
    this.#fail(failure.status, failure.message)
  }

  #fail(status: number, message: string): void {
    this.#done = true
    // After the head went out, the only honest signal is to cut the response short.
    if (status === 413 || status === 408) this.#reply.lingerBody()
    sendText(this.#reply, status, `${message}\n`)
  }

  #settle(): void {
    this.#done = true
    if (this.#inFlight && this.#upstream) {
      this.#inFlight = false
      this.#route.group.end(this.#upstream)
    }
  }
}
