/**
 * A final answer other than 101 to a WebSocket handshake, relayed to the client in place of a tunnel
 * (websocket-tunnel.ts): its body as far as its framing goes (RFC 9112 §6.3), with the upstream
 * paused while the client's side is full.
 */
import type { Socket } from 'node:net'
import type { BodyTracker } from './response-body.js'
import type { TunnelClient } from './tunnel-client.js'
import { bodyBytes } from './upgrade-answer.js'

/** What a chunk from the upstream left the relayed body as. */
export type RelayStep = 'more' | 'done' | 'malformed'

export class RelayedAnswer {
  readonly #side: TunnelClient
  readonly #upstream: Socket
  readonly #body: BodyTracker
  #bytes = 0

  constructor(side: TunnelClient, upstream: Socket, body: BodyTracker) {
    this.#side = side
    this.#upstream = upstream
    this.#body = body
  }

  /** Body bytes sent to the client. */
  get bytesSent(): number {
    return this.#bytes
  }

  /** The body was complete with its head (no body, or an empty one). */
  get done(): boolean {
    return this.#body.done
  }

  /** The body is delimited by the upstream closing its connection. */
  get untilClose(): boolean {
    return this.#body.untilClose
  }

  /** Sends the client the part of `chunk` that belongs to the body. */
  feed(chunk: Buffer): RelayStep {
    let out: Buffer
    try {
      out = bodyBytes(this.#body, chunk, this.#side.unframedBody)
    } catch {
      return 'malformed'
    }
    this.#bytes += out.length
    if (out.length > 0 && !this.#side.duplex.write(out)) {
      const upstream = this.#upstream
      upstream.pause()
      this.#side.duplex.once('drain', () => upstream.resume())
    }
    return this.#body.done ? 'done' : 'more'
  }
}
