import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ResponseHead } from './http-head.js'
import { RelayedAnswer } from './relayed-answer.js'
import type { BodyTracker } from './response-body.js'
import type { TunnelClient } from './tunnel-client.js'
import { connectUpstream, describeSocketError, endGracefully } from './tunnel-sockets.js'
import {
  tunnelRequestHead,
  type TunnelHandle,
  type TunnelOptions,
  type TunnelTarget,
} from './tunnel-target.js'
import { idleTimeoutDelay, TunnelTimer } from './tunnel-timer.js'
import type { AttemptFailure } from './upstream-attempts.js'
import { UpgradeAnswer } from './upgrade-answer.js'
import { GOING_AWAY_MS, TunnelFrames } from './websocket-going-away.js'

/**
 * Open a WebSocket tunnel for `client` (an HTTP/1.1 Upgrade or an RFC 8441 extended CONNECT): open a
 * connection to the upstream (TLS for https), send the HTTP/1.1 handshake, and only when the upstream
 * answers 101 tell the client and pipe both ways; any other answer is relayed to the client as a
 * normal response and the client's side ended. `head` is what the client sent past its request.
 * A connection that fails before the handshake was written to it may be replaced by one to the
 * target's `onFailure` answer. Idle timeout applies to traffic in either direction. Returns a
 * handle to close it (used on reload for changed routes and on shutdown).
 */
export function tunnelWebSocket(
  client: TunnelClient,
  head: Buffer,
  target: TunnelTarget,
  options: TunnelOptions,
  method: string,
): TunnelHandle {
  const tunnel = new WebSocketTunnel(client, target, options, method)
  tunnel.start(head)
  return tunnel
}

type Phase = 'connecting' | 'awaiting' | 'relaying' | 'open' | 'closing' | 'done'

class WebSocketTunnel implements TunnelHandle {
  readonly closed: Promise<void>
  /** The client's connection (`#side.duplex`). */
  readonly #client: Duplex
  readonly #side: TunnelClient
  /** The target of the current attempt (another one after a connect failure). */
  #target: TunnelTarget
  readonly #options: TunnelOptions
  readonly #method: string
  /** `host:port` of the current upstream, for messages. */
  #name: string
  /** What the client sent past its request, sent upstream after the handshake. */
  #head: Buffer = Buffer.alloc(0)
  #upstream: Socket | undefined
  #phase: Phase = 'connecting'
  readonly #timer = new TunnelTimer()
  readonly #answer: UpgradeAnswer
  /** The final (non-101) answer being relayed, from phase 'relaying'. */
  #relayed: RelayedAnswer | undefined
  #openSockets = 0
  #resolveClosed: () => void = () => {}
  readonly #frames = new TunnelFrames()

  constructor(client: TunnelClient, target: TunnelTarget, options: TunnelOptions, method: string) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve))
    this.#side = client
    this.#client = client.duplex
    this.#target = target
    this.#options = options
    this.#method = method
    this.#answer = new UpgradeAnswer(method)
    this.#name = target.upstream.url.host
  }

  start(head: Buffer): void {
    const client = this.#client
    this.#track(client)
    client.on('error', () => this.#destroy())
    client.on('close', (hadError?: boolean) =>
      this.#onClose(this.#upstream, this.#side.closedByError(hadError)),
    )
    if (client.destroyed) return this.#destroy()
    // Nothing from the client goes upstream until the upstream has agreed to switch protocols.
    client.pause()
    this.#head = head
    this.#frames.sentUp(head)
    this.#connect(this.#target)
  }

  get bytesSent(): number {
    return this.#frames.bytesDown + (this.#relayed?.bytesSent ?? 0)
  }

  close(): void {
    if (this.#phase === 'connecting' || this.#phase === 'awaiting')
      return this.#fail(503, 'the server is going away; try again')
    if (this.#phase === 'open') return this.#goAway()
    if (this.#phase !== 'closing') this.#destroy()
  }

  /** Both sides get 1001 at their frame ends (see TunnelFrames), bounded by GOING_AWAY_MS. */
  #goAway(): void {
    this.#phase = 'closing'
    this.#frames.goAway(this.#client, this.#upstream as Socket)
    const timer = setTimeout(() => this.#destroy(), GOING_AWAY_MS)
    timer.unref()
    void this.closed.then(() => clearTimeout(timer))
  }

  /** Opens a connection to `target`'s upstream; the handshake is written once it is ready. */
  #connect(target: TunnelTarget): void {
    let request: Buffer
    try {
      request = tunnelRequestHead(this.#method, target)
    } catch (err) {
      return this.#fail(500, `cannot forward the upgrade: ${message(err)}`)
    }
    this.#target = target
    this.#name = target.upstream.url.host
    const { socket: upstream, ready } = connectUpstream(target.upstream, this.#options.upstreamTls)
    this.#upstream = upstream
    this.#track(upstream)
    upstream.setNoDelay(true)
    // A connection given up for another one is already destroyed: what it still emits is ignored.
    const current = (): boolean => this.#upstream === upstream
    upstream.on('error', (err: Error) => {
      if (current()) this.#onUpstreamError(err)
    })
    upstream.on('close', (hadError: boolean) => {
      if (current() && this.#phase === 'open') this.#onClose(this.#client, hadError)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (current()) this.#onData(chunk)
    })
    upstream.on('end', () => {
      if (current()) this.#onUpstreamEnd()
    })
    upstream.once(ready, () => {
      if (!current()) return
      this.#phase = 'awaiting'
      const ms = this.#options.responseTimeoutMs
      const text = `upstream ${this.#name} did not answer the upgrade within ${ms} ms`
      this.#timer.arm(ms, () => this.#attemptFailed('timeout', new Error(text), 504, text))
      upstream.write(Buffer.concat([request, this.#head]))
    })
    const ms = this.#options.connectTimeoutMs
    const text = `upstream ${this.#name} did not accept a connection within ${ms} ms`
    this.#timer.arm(ms, () => this.#attemptFailed('connect', new Error(text), 504, text))
  }

  #onData(chunk: Buffer): void {
    if (this.#phase === 'relaying') return this.#relay(chunk)
    if (this.#phase !== 'awaiting') return
    const step = this.#answer.feed(chunk)
    if (step.kind === 'partial') return
    if (step.kind === 'malformed') {
      const text = `upstream ${this.#name} ${step.message}`
      return this.#attemptFailed('other', new Error(text), 502, text)
    }
    if (step.kind === 'switch') return this.#openTunnel(step.head, step.rest)
    this.#target.onAnswer?.()
    this.#relayResponse(step.head, step.body, step.rest)
  }

  /** 101: the client gets the upstream's answer, then bytes flow both ways until either side ends. */
  #openTunnel(head: ResponseHead, rest: Buffer): void {
    const client = this.#client
    const upstream = this.#upstream as Socket
    const refused = this.#side.accept(head)
    if (refused !== undefined) {
      const text = `upstream ${this.#name} ${refused}`
      return this.#attemptFailed('other', new Error(text), 502, text)
    }
    this.#target.onAnswer?.()
    this.#phase = 'open'
    this.#timer.disarm()
    upstream.removeAllListeners('data')
    upstream.removeAllListeners('end')
    if (rest.length > 0) client.write(rest)
    this.#frames.watch(client, upstream, rest)
    this.#setIdleTimeouts()
    // pipe() ends the destination when its source ends: a half-close travels through the tunnel, and
    // the other direction keeps flowing until its own end (both sockets allow half-open).
    upstream.pipe(client)
    client.pipe(upstream)
  }

  /** Any other final answer: relayed, then both connections are closed. */
  #relayResponse(head: ResponseHead, body: BodyTracker, rest: Buffer): void {
    this.#phase = 'relaying'
    this.#timer.disarm()
    const relayed = new RelayedAnswer(this.#side, this.#upstream as Socket, body)
    this.#relayed = relayed
    this.#side.answer(head)
    this.#setIdleTimeouts()
    if (relayed.done) return this.#finish()
    if (rest.length > 0) this.#relay(rest)
  }

  #relay(chunk: Buffer): void {
    const step = (this.#relayed as RelayedAnswer).feed(chunk)
    if (step === 'malformed') this.#destroy()
    else if (step === 'done') this.#finish()
  }

  #onUpstreamEnd(): void {
    if (this.#phase !== 'relaying') {
      const text = `upstream ${this.#name} closed the connection without answering the upgrade`
      return this.#attemptFailed('other', new Error(text), 502, text)
    }
    // A close-delimited body ends here; any other body was cut short, which the client must see.
    if (this.#relayed?.untilClose === true) this.#finish()
    else this.#destroy()
  }

  #onUpstreamError(err: Error): void {
    const text = `upstream ${this.#name} ${describeSocketError(err)}`
    // Before the connection is ready (TCP, and TLS for https) no byte of the handshake was written.
    this.#attemptFailed(this.#phase === 'connecting' ? 'connect' : 'other', err, 502, text)
  }

  /**
   * The attempt on the current upstream failed. Before any answer reached the client the target is
   * told, and may give another upstream to try (after a connect failure, when nothing was sent);
   * else the client gets `status` and `text`. Later, the tunnel is dropped.
   */
  #attemptFailed(failure: AttemptFailure, err: Error, status: number, text: string): void {
    if (this.#phase !== 'connecting' && this.#phase !== 'awaiting') return this.#destroy()
    const next = this.#target.onFailure?.(failure, err)
    // Never a second upstream once bytes of the handshake may have reached the first.
    if (next === undefined || this.#phase !== 'connecting') return this.#fail(status, text)
    this.#upstream?.destroy()
    this.#connect(next)
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
      return other === this.#client ? this.#side.end() : endGracefully(other)
    }
    this.#destroy()
  }

  /** The final answer has been relayed: end the client's side and drop the upstream connection. */
  #finish(): void {
    this.#phase = 'done'
    this.#timer.disarm()
    this.#upstream?.destroy()
    this.#side.endAnswer()
  }

  /** Before any answer reached the client: tell it why, in a minimal response, and close. */
  #fail(status: number, text: string): void {
    if (this.#phase !== 'connecting' && this.#phase !== 'awaiting') return this.#destroy()
    this.#phase = 'done'
    this.#timer.disarm()
    this.#upstream?.destroy()
    this.#side.fail(status, text)
  }

  #destroy(): void {
    this.#phase = 'done'
    this.#timer.disarm()
    this.#upstream?.destroy()
    this.#side.destroy()
  }

  /** Each side's connection closes the tunnel after the route's idle time without traffic on it. */
  #setIdleTimeouts(): void {
    const bounded = idleTimeoutDelay(this.#options.idleTimeoutMs)
    const upstream = this.#upstream as Socket
    upstream.setTimeout(bounded)
    upstream.on('timeout', () => this.#destroy())
    this.#side.setIdleTimeout(bounded, () => this.#destroy())
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
