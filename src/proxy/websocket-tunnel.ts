import { STATUS_CODES, type IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  headEnd,
  MAX_RESPONSE_HEAD_BYTES,
  minimalResponse,
  parseResponseHead,
  serialize101Head,
  serializeFinalHead,
  serializeRequestHead,
  type ResponseHead,
} from './http-head.js'
import { bodyTracker, responseFraming, type BodyTracker } from './response-body.js'
import type { ProxyRoute } from './types.js'
import type { Upstream } from './upstream-group.js'
import {
  connectUpstream,
  describeSocketError,
  endAtFrameEnd,
  endGracefully,
} from './tunnel-sockets.js'
import { closeFrame, FrameBoundaries, GOING_AWAY } from './websocket-frames.js'

export interface TunnelTarget {
  upstream: Upstream
  /** Request path (with query) to send upstream. */
  path: string
  /** Headers to send (forwarding headers already applied; Connection/Upgrade/Sec-WebSocket-* kept). */
  headers: Record<string, string | string[]>
}

export interface TunnelOptions {
  /** TCP connect plus, for https, the TLS handshake. 502/504 before this. */
  connectTimeoutMs: number
  /** From the request written until the upstream's response head has arrived; 504 past it. */
  responseTimeoutMs: number
  /**
   * An open tunnel with no traffic in either direction is closed after this; 0 or Infinity for never.
   * Values above 2^31-1 ms (24.8 days, the most a Node timer holds) act as 24.8 days.
   */
  idleTimeoutMs: number
  /** Used when `upstream` does not come from an UpstreamGroup (which carries its own TLS settings). */
  upstreamTls: ProxyRoute['upstreamTls']
}

export interface TunnelHandle {
  /**
   * Closes the tunnel as a server going away (reload of a changed route, shutdown): an open
   * WebSocket gets a 1001 close frame on both sides, each at the end of the frame in progress, then
   * FIN; a tunnel still waiting for the upstream's answer gets 503. Both connections are dropped
   * if not closed within {@link GOING_AWAY_MS}.
   */
  close(): void
  /** Settles when both connections are closed. Never rejects. */
  readonly closed: Promise<void>
}

/** The longest delay a Node timer accepts; longer ones fire after 1 ms with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * How long a going-away close may take (frames in progress finished, close frames sent, peers
 * closing their sides) before both connections are dropped.
 */
export const GOING_AWAY_MS = 3_000

/**
 * Forward an HTTP/1.1 Upgrade (RFC 6455 §4, RFC 9110 §7.8): open a connection to the upstream (TLS for
 * https), send the request, and only when the upstream answers 101 write its response head to the
 * client and pipe both ways; any other answer is relayed to the client as a normal response and the
 * socket closed. Idle timeout applies to traffic in either direction. Returns a handle to close it
 * (used on reload for changed routes and on shutdown).
 */
export function proxyWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: TunnelTarget,
  options: TunnelOptions,
): TunnelHandle {
  const tunnel = new WebSocketTunnel(socket, target, options, req.method ?? 'GET')
  tunnel.start(head)
  return tunnel
}

type Phase = 'connecting' | 'awaiting' | 'relaying' | 'open' | 'closing' | 'done'

class WebSocketTunnel implements TunnelHandle {
  readonly closed: Promise<void>
  readonly #client: Duplex
  readonly #target: TunnelTarget
  readonly #options: TunnelOptions
  readonly #method: string
  /** `host:port` of the upstream, for messages. */
  readonly #name: string
  #upstream: Socket | undefined
  #phase: Phase = 'connecting'
  #timer: NodeJS.Timeout | undefined
  #received: Buffer = Buffer.alloc(0)
  #body: BodyTracker | undefined
  #openSockets = 0
  #resolveClosed: () => void = () => {}
  // Frame ends of each direction, followed from the first byte, for a going-away close.
  readonly #toClient = new FrameBoundaries()
  readonly #toUpstream = new FrameBoundaries()
  readonly #watchDown = (chunk: Buffer): void => void this.#toClient.feed(chunk)
  readonly #watchUp = (chunk: Buffer): void => void this.#toUpstream.feed(chunk)

  constructor(client: Duplex, target: TunnelTarget, options: TunnelOptions, method: string) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve))
    this.#client = client
    this.#target = target
    this.#options = options
    this.#method = method
    this.#name = target.upstream.url.host
  }

  start(head: Buffer): void {
    const client = this.#client
    this.#track(client)
    client.on('error', () => this.#destroy())
    client.on('close', (hadError: boolean) => this.#onClose(this.#upstream, hadError))
    if (client.destroyed) return this.#destroy()
    // Nothing from the client goes upstream until the upstream has agreed to switch protocols.
    client.pause()
    let request: Buffer
    try {
      request = serializeRequestHead(this.#method, this.#target.path, this.#requestHeaders())
    } catch (err) {
      return this.#fail(500, `cannot forward the upgrade: ${message(err)}`)
    }
    this.#toUpstream.feed(head)
    this.#connect(Buffer.concat([request, head]))
  }

  close(): void {
    if (this.#phase === 'connecting' || this.#phase === 'awaiting')
      return this.#fail(503, 'the server is going away; try again')
    if (this.#phase === 'open') return this.#goAway()
    if (this.#phase !== 'closing') this.#destroy()
  }

  /**
   * RFC 6455 §7.1.2, §7.4.1: each side gets a close frame with 1001 (going away) after the frame it
   * is receiving, unmasked to the client and masked to the upstream (we are its client, §5.3); what
   * either sends after that (its own close frame) is read and dropped while it closes.
   */
  #goAway(): void {
    this.#phase = 'closing'
    const client = this.#client
    const upstream = this.#upstream as Socket
    const reason = 'going away'
    endAtFrameEnd(
      upstream,
      client,
      this.#toClient,
      this.#watchDown,
      closeFrame(GOING_AWAY, reason, false),
    )
    endAtFrameEnd(
      client,
      upstream,
      this.#toUpstream,
      this.#watchUp,
      closeFrame(GOING_AWAY, reason, true),
    )
    const timer = setTimeout(() => this.#destroy(), GOING_AWAY_MS)
    timer.unref()
    void this.closed.then(() => clearTimeout(timer))
  }

  #requestHeaders(): Record<string, string | string[]> {
    const headers = this.#target.headers
    if (Object.keys(headers).some((name) => name.toLowerCase() === 'host')) return headers
    return { host: this.#target.upstream.url.host, ...headers }
  }

  #connect(request: Buffer): void {
    const { socket: upstream, ready } = connectUpstream(
      this.#target.upstream,
      this.#options.upstreamTls,
    )
    this.#upstream = upstream
    this.#track(upstream)
    upstream.setNoDelay(true)
    upstream.on('error', (err: Error) => this.#onUpstreamError(err))
    upstream.on('close', (hadError: boolean) => {
      if (this.#phase === 'open') this.#onClose(this.#client, hadError)
    })
    upstream.on('data', (chunk: Buffer) => this.#onData(chunk))
    upstream.on('end', () => this.#onUpstreamEnd())
    upstream.once(ready, () => {
      this.#phase = 'awaiting'
      this.#arm(this.#options.responseTimeoutMs, () =>
        this.#fail(
          504,
          `upstream ${this.#name} did not answer the upgrade within ${this.#options.responseTimeoutMs} ms`,
        ),
      )
      upstream.write(request)
    })
    this.#arm(this.#options.connectTimeoutMs, () =>
      this.#fail(
        504,
        `upstream ${this.#name} did not accept a connection within ${this.#options.connectTimeoutMs} ms`,
      ),
    )
  }

  #onData(chunk: Buffer): void {
    if (this.#phase === 'relaying') return this.#relay(chunk)
    if (this.#phase !== 'awaiting') return
    const buf = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk])
    const end = headEnd(buf)
    if (end === -1 || end > MAX_RESPONSE_HEAD_BYTES) {
      if (end !== -1 || buf.length > MAX_RESPONSE_HEAD_BYTES) {
        return this.#fail(
          502,
          `upstream ${this.#name} sent a response head over ${MAX_RESPONSE_HEAD_BYTES} bytes`,
        )
      }
      this.#received = buf
      return
    }
    this.#received = Buffer.alloc(0)
    let head: ResponseHead
    try {
      head = parseResponseHead(buf.toString('latin1', 0, end - 4))
    } catch (err) {
      return this.#fail(502, `upstream ${this.#name} sent a malformed response: ${message(err)}`)
    }
    const rest = buf.subarray(end)
    if (head.status === 101) return this.#openTunnel(head, rest)
    // Interim answers (100, 103) before the final one are not forwarded: the client asked to upgrade.
    if (head.status < 200) return rest.length > 0 ? this.#onData(rest) : undefined
    this.#relayResponse(head, rest)
  }

  /** 101: the client gets the upstream's answer, then bytes flow both ways until either side ends. */
  #openTunnel(head: ResponseHead, rest: Buffer): void {
    const client = this.#client
    const upstream = this.#upstream as Socket
    this.#phase = 'open'
    this.#disarm()
    upstream.removeAllListeners('data')
    upstream.removeAllListeners('end')
    client.write(serialize101Head(head))
    if (rest.length > 0) client.write(rest)
    this.#toClient.feed(rest)
    upstream.on('data', this.#watchDown)
    client.on('data', this.#watchUp)
    this.#setIdleTimeout(upstream)
    if (client instanceof Socket) this.#setIdleTimeout(client)
    // pipe() ends the destination when its source ends: a half-close travels through the tunnel, and
    // the other direction keeps flowing until its own end (both sockets allow half-open).
    upstream.pipe(client)
    client.pipe(upstream)
  }

  /** Any other final answer: relayed as it is framed, then both connections are closed. */
  #relayResponse(head: ResponseHead, rest: Buffer): void {
    let tracker: BodyTracker
    try {
      tracker = bodyTracker(responseFraming(head, this.#method))
    } catch (err) {
      return this.#fail(502, `upstream ${this.#name} sent a malformed response: ${message(err)}`)
    }
    this.#phase = 'relaying'
    this.#disarm()
    this.#body = tracker
    this.#client.write(serializeFinalHead(head))
    this.#setIdleTimeout(this.#upstream as Socket)
    if (tracker.done) return this.#finish()
    if (rest.length > 0) this.#relay(rest)
  }

  #relay(chunk: Buffer): void {
    const tracker = this.#body as BodyTracker
    let take: number
    try {
      take = tracker.feed(chunk)
    } catch {
      return this.#destroy()
    }
    if (take > 0 && !this.#client.write(take === chunk.length ? chunk : chunk.subarray(0, take))) {
      const upstream = this.#upstream as Socket
      upstream.pause()
      this.#client.once('drain', () => upstream.resume())
    }
    if (tracker.done) this.#finish()
  }

  #onUpstreamEnd(): void {
    if (this.#phase !== 'relaying') {
      return this.#fail(
        502,
        `upstream ${this.#name} closed the connection without answering the upgrade`,
      )
    }
    // A close-delimited body ends here; any other body was cut short, which the client must see.
    if (this.#body?.untilClose === true) this.#finish()
    else this.#destroy()
  }

  #onUpstreamError(err: Error): void {
    if (this.#phase === 'connecting' || this.#phase === 'awaiting') {
      return this.#fail(502, `upstream ${this.#name} ${describeSocketError(err)}`)
    }
    this.#destroy()
  }

  /**
   * One side of the tunnel closed. After a clean close (both its directions ended), the other side
   * still gets what is buffered for it, ending with a FIN, as a WebSocket close frame must arrive;
   * after an error, or before the tunnel opened, the other side is dropped at once.
   */
  #onClose(other: Duplex | undefined, hadError: boolean): void {
    // Going away: the other side is finishing its own close, bounded by GOING_AWAY_MS.
    if (this.#phase === 'closing' && !hadError) return
    if (this.#phase === 'open' && !hadError && other !== undefined) {
      this.#phase = 'done'
      return endGracefully(other)
    }
    this.#destroy()
  }

  /** The final answer has been relayed: end the client's side and drop the upstream connection. */
  #finish(): void {
    this.#phase = 'done'
    this.#disarm()
    this.#upstream?.destroy()
    endGracefully(this.#client)
  }

  /** Before any answer reached the client: tell it why, in a minimal response, and close. */
  #fail(status: number, text: string): void {
    if (this.#phase !== 'connecting' && this.#phase !== 'awaiting') return this.#destroy()
    this.#phase = 'done'
    this.#disarm()
    this.#upstream?.destroy()
    endGracefully(this.#client, minimalResponse(status, STATUS_CODES[status] ?? '', text))
  }

  #destroy(): void {
    this.#phase = 'done'
    this.#disarm()
    this.#upstream?.destroy()
    this.#client.destroy()
  }

  #setIdleTimeout(socket: Socket): void {
    const ms = this.#options.idleTimeoutMs
    // Also replaces a timeout the HTTP server may have set on the client socket for keep-alive: a
    // tunnel answers only to its own idle timeout, never to a hidden default.
    socket.setTimeout(Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0)
    socket.on('timeout', () => this.#destroy())
  }

  #arm(ms: number, onTimeout: () => void): void {
    this.#disarm()
    if (!(ms > 0) || !Number.isFinite(ms)) return
    this.#timer = setTimeout(onTimeout, Math.min(ms, MAX_TIMER_MS))
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #track(socket: Duplex): void {
    this.#openSockets++
    socket.once('close', () => {
      if (--this.#openSockets === 0) this.#resolveClosed()
    })
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
