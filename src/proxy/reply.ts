/**
 * One response to a client, over HTTP/1.1 (`SocketReply`, our own server's) or HTTP/2 (the stream
 * API, RFC 9113), so the proxy, static and fixed routes write one way. Headers are flat
 * `[name, value, …]` arrays.
 */
import { constants, type ServerHttp2Stream } from 'node:http2'
import {
  applyHeaderOps,
  forwardResponseHeaders,
  toHttp2Headers,
  type CompiledHeaderOps,
} from './forward-headers.js'

/** How {@link Reply.head} writes a head. */
export interface HeadOptions {
  /** Ask an HTTP/1.1 connection to close after the answer. */
  close?: boolean
}

export interface Reply {
  readonly proto: '1.1' | '2'
  readonly headersSent: boolean
  /** Status sent (0 until then). */
  readonly status: number
  /** Body bytes written so far. */
  readonly bytes: number
  /** Whether the response was fully handed to the connection. */
  readonly finished: boolean
  /** The route's headersDown, applied by {@link head} (proxied answers apply it themselves). */
  ops: CompiledHeaderOps | undefined
  /** Writes the status and headers. */
  head(status: number, headers: string[], options?: HeadOptions): void
  /**
   * Writes an upstream's status and fields (`[name, value, …]` as undici's parser passed them):
   * hop-by-hop fields and those named in Connection removed (RFC 9110 §7.6.1), then the route's
   * `ops`, then the stickiness cookie. Throws a TypeError, before anything is written, for a field
   * the answer cannot carry.
   */
  relayHead(
    status: number,
    raw: readonly Buffer[],
    ops: CompiledHeaderOps,
    setCookie: string | undefined,
  ): void
  /** False when the connection's buffer is full: wait for {@link onceDrain}. */
  write(chunk: Buffer | string): boolean
  end(chunk?: Buffer | string): void
  onceDrain(fn: () => void): void
  /** Called once when the exchange ends, whether finished or cut off by the client. */
  onClose(fn: () => void): void
  /** Cuts the response off (after headers, an error can only be signalled this way). */
  destroy(): void
  /**
   * Answering before the request body was read (413): HTTP/1.1 reads and discards the rest so the
   * client sees the answer rather than a reset (closing with unread data sends RST), for at most
   * {@link LINGER_MS}, then closes. HTTP/2 closes the stream with NO_ERROR once the answer is out.
   */
  lingerBody(): void
}

/** How long a refused upload may keep sending before the connection is closed. */
export const LINGER_MS = 5_000

export class Http2Reply implements Reply {
  readonly proto = '2'
  status = 0
  bytes = 0
  ops: CompiledHeaderOps | undefined
  readonly #stream: ServerHttp2Stream
  readonly #isHead: boolean
  #noBody = false

  constructor(stream: ServerHttp2Stream, method: string) {
    this.#stream = stream
    this.#isHead = method === 'HEAD'
  }

  get headersSent(): boolean {
    return this.#stream.headersSent
  }

  get finished(): boolean {
    return this.#stream.writableFinished
  }

  head(status: number, headers: string[]): void {
    this.status = status
    if (this.#stream.destroyed) return
    // RFC 9110 §6.4.1: no content in answers to HEAD, in 204 and in 304.
    this.#noBody = this.#isHead || status === 204 || status === 304
    const out = this.ops ? applyHeaderOps(headers, this.ops) : headers
    this.#stream.respond(toHttp2Headers(out, status), { endStream: this.#noBody })
  }

  relayHead(
    status: number,
    raw: readonly Buffer[],
    ops: CompiledHeaderOps,
    setCookie: string | undefined,
  ): void {
    this.head(status, forwardResponseHeaders(raw, ops, setCookie))
  }

  write(chunk: Buffer | string): boolean {
    if (this.#noBody || this.#stream.destroyed) return true
    this.bytes += chunk.length
    return this.#stream.write(chunk)
  }

  end(chunk?: Buffer | string): void {
    if (this.#noBody || this.#stream.destroyed) return
    if (chunk !== undefined) this.bytes += chunk.length
    this.#stream.end(chunk)
  }

  onceDrain(fn: () => void): void {
    this.#stream.once('drain', fn)
  }

  onClose(fn: () => void): void {
    this.#stream.once('close', fn)
  }

  lingerBody(): void {
    // RFC 9113 §8.1: after a complete response the server may ask the client to stop sending with
    // RST_STREAM NO_ERROR. Node does so itself when nothing of the body was read; after part of it
    // was (a 413 mid-upload, a 408 for a stalled one) the stream would stay open on the client.
    const stream = this.#stream
    stream.once('finish', () =>
      setImmediate(() => {
        if (!stream.closed && !stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR)
      }),
    )
  }

  destroy(): void {
    this.#stream.close(constants.NGHTTP2_INTERNAL_ERROR)
  }
}

/** A short text answer (errors, refusals, fixed responses). */
export function sendText(
  reply: Reply,
  status: number,
  text: string,
  options: { close?: boolean; headers?: string[]; contentType?: string } = {},
): void {
  if (reply.headersSent) {
    reply.destroy()
    return
  }
  const body = Buffer.from(text)
  const headers = [
    'content-type',
    options.contentType ?? 'text/plain; charset=utf-8',
    'content-length',
    String(body.length),
    ...(options.headers ?? []),
  ]
  reply.head(status, headers, options.close === true ? { close: true } : undefined)
  reply.end(body)
}
