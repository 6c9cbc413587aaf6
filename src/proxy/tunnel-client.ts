/**
 * The client side of a WebSocket tunnel: the connection the frames flow on, and how the upstream's
 * answer to the handshake reaches the client. Over HTTP/1.1 (RFC 6455 §4) the answer is bytes on the
 * client's socket, the upstream's own 101 passed on; over HTTP/2 (RFC 8441 §5) it is a response on
 * the client's stream, 200 for a switch, and the stream then carries the frames.
 */
import { createHash, randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { constants, type ServerHttp2Stream } from 'node:http2'
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { HOP_BY_HOP, toHttp2Headers } from './forward-headers.js'
import {
  fieldValues,
  minimalResponse,
  serialize101Head,
  serializeFinalHead,
  type ResponseHead,
} from './http-head.js'
import { endGracefully } from './tunnel-sockets.js'

export interface TunnelClient {
  /** Carries the frames both ways once the tunnel is open: the TLS socket, or the HTTP/2 stream. */
  readonly duplex: Duplex
  /**
   * A relayed (non-101) answer's body is wanted without its HTTP/1.1 framing (chunked): HTTP/2 frames
   * bodies itself (RFC 9113 §8.1).
   */
  readonly unframedBody: boolean
  /**
   * The upstream switched protocols (101): tells the client the tunnel is open. Returns why the
   * answer cannot be accepted instead (then nothing was sent).
   */
  accept(head: ResponseHead): string | undefined
  /** Sends the head of a final (non-101) answer; its body follows on `duplex`. */
  answer(head: ResponseHead): void
  /** Before any answer reached the client: a short error answer, then the end. */
  fail(status: number, text: string): void
  /** Ends the client's side of an open tunnel after what was written (see endGracefully). */
  end(last?: Buffer): void
  /** A relayed answer is complete: the exchange is over once it has been sent. */
  endAnswer(): void
  /** Drops the client's side at once (an error, a timeout): the equivalent of a TCP reset. */
  destroy(): void
  /** Whether the client's connection closed on an error or reset rather than cleanly. */
  closedByError(hadError: boolean | undefined): boolean
  /** Calls `onTimeout` after `ms` without traffic (0 for never), replacing any timeout set before. */
  setIdleTimeout(ms: number, onTimeout: () => void): void
}

/** An HTTP/1.1 Upgrade: the client's socket, answered in HTTP/1.1 bytes. */
export class Http1TunnelClient implements TunnelClient {
  readonly duplex: Duplex
  readonly unframedBody = false

  constructor(socket: Duplex) {
    this.duplex = socket
  }

  accept(head: ResponseHead): undefined {
    this.duplex.write(serialize101Head(head))
  }

  answer(head: ResponseHead): void {
    this.duplex.write(serializeFinalHead(head))
  }

  fail(status: number, text: string): void {
    endGracefully(this.duplex, minimalResponse(status, STATUS_CODES[status] ?? '', text))
  }

  end(last?: Buffer): void {
    endGracefully(this.duplex, last)
  }

  /** The answer said `Connection: close`: the connection ends with it. */
  endAnswer(): void {
    endGracefully(this.duplex)
  }

  destroy(): void {
    this.duplex.destroy()
  }

  closedByError(hadError: boolean | undefined): boolean {
    return hadError === true
  }

  setIdleTimeout(ms: number, onTimeout: () => void): void {
    const socket = this.duplex
    if (!(socket instanceof Socket)) return
    // Also replaces a timeout the HTTP server may have set on the socket for keep-alive: a tunnel
    // answers only to its own idle timeout, never to a hidden default.
    socket.setTimeout(ms)
    socket.on('timeout', onTimeout)
  }
}

/** RFC 6455 §1.3: the GUID the upstream hashes with our key into Sec-WebSocket-Accept. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** Fields of an upstream answer that mean nothing on an HTTP/2 stream. */
const NOT_FOR_H2: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'sec-websocket-accept'])

/**
 * An RFC 8441 extended CONNECT: the client's HTTP/2 stream. The client sent no Sec-WebSocket-Key
 * (RFC 8441 §5), so the upstream gets {@link key}, made here, and its answer is checked against it
 * (RFC 6455 §4.1): a 101 that does not prove it read our handshake opens nothing.
 */
export class Http2TunnelClient implements TunnelClient {
  readonly duplex: ServerHttp2Stream
  readonly unframedBody = true
  /** The Sec-WebSocket-Key to send upstream: 16 random bytes, base64 (RFC 6455 §4.1). */
  readonly key = randomBytes(16).toString('base64')

  constructor(stream: ServerHttp2Stream) {
    this.duplex = stream
  }

  accept(head: ResponseHead): string | undefined {
    const expected = createHash('sha1').update(`${this.key}${WEBSOCKET_GUID}`).digest('base64')
    const got = fieldValues(head, 'sec-websocket-accept')
    if (got.length !== 1 || got[0] !== expected)
      return 'answered the upgrade with a Sec-WebSocket-Accept that does not match our key'
    // RFC 8441 §5: a 2xx opens the tunnel; Sec-WebSocket-Protocol and -Extensions pass through.
    return this.#respond(toHttp2Headers(h2Fields(head), 200))
  }

  answer(head: ResponseHead): void {
    const fields = h2Fields(head)
    if (this.#respond(toHttp2Headers(fields, head.status)) !== undefined) this.destroy()
  }

  fail(status: number, text: string): void {
    const body = Buffer.from(`${text}\n`)
    const headers = {
      ':status': status,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': body.length,
    }
    if (this.#respond(headers) === undefined) this.#endAnswer(body)
  }

  end(last?: Buffer): void {
    endGracefully(this.duplex, last)
  }

  endAnswer(): void {
    this.#endAnswer()
  }

  /** RFC 8441 §5: a TCP reset of the tunnel is an RST_STREAM with CANCEL on the stream. */
  destroy(): void {
    if (!this.duplex.destroyed) this.duplex.close(constants.NGHTTP2_CANCEL)
  }

  /**
   * RFC 9113 §8.1: a server that has sent a complete response before the request ended may reset
   * the stream with NO_ERROR; the client's side of a refused tunnel has nothing more to carry.
   * Node sends the RST_STREAM once the response has left.
   */
  #endAnswer(last?: Buffer): void {
    const stream = this.duplex
    if (stream.destroyed) return
    stream.end(last)
    stream.close(constants.NGHTTP2_NO_ERROR)
  }

  closedByError(): boolean {
    const code = this.duplex.rstCode
    return code !== undefined && code !== constants.NGHTTP2_NO_ERROR
  }

  setIdleTimeout(ms: number, onTimeout: () => void): void {
    this.duplex.setTimeout(ms, onTimeout)
  }

  /** Sends the response head; returns why it could not (a reset stream, a field HTTP/2 refuses). */
  #respond(headers: Record<string, string | string[] | number>): string | undefined {
    const stream = this.duplex
    if (stream.destroyed || stream.headersSent) return 'the client stream is gone'
    try {
      stream.respond(headers)
      return undefined
    } catch (err) {
      return `answered with a field HTTP/2 cannot carry: ${err instanceof Error ? err.message : String(err)}`
    }
  }
}

/**
 * An upstream answer's fields for HTTP/2: hop-by-hop fields and those named in Connection dropped
 * (RFC 9110 §7.6.1, RFC 9113 §8.2.2), Content-Length too when Transfer-Encoding framed the body.
 */
function h2Fields(head: ResponseHead): string[] {
  const drop = new Set(NOT_FOR_H2)
  for (const option of fieldValues(head, 'connection').flatMap((v) => v.split(','))) {
    if (option.trim() !== '') drop.add(option.trim().toLowerCase())
  }
  if (fieldValues(head, 'transfer-encoding').length > 0) drop.add('content-length')
  const out: string[] = []
  for (const [name, value] of head.fields) if (!drop.has(name.toLowerCase())) out.push(name, value)
  return out
}
