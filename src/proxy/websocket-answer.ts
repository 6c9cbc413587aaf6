/**
 * The client's answer to a WebSocket handshake, seen through its route: the route's headersDown
 * and the sticky cookie of `cookie` load balancing applied to the upstream's answer (the 101, over
 * HTTP/2 the 200 made from it, or any other answer relayed instead of a tunnel), as a proxied HTTP
 * answer gets them, and what the client got recorded for the access log.
 */
import { NO_HEADER_OPS, type CompiledHeaderOps } from './forward-headers.js'
import type { ResponseHead } from './http-head.js'
import type { TunnelClient } from './tunnel-client.js'

/**
 * Fields a header rule never removes or sets on a handshake's answer. They are protocol, not
 * content: Upgrade and Connection make the 101 a switch (RFC 9110 §7.8), Sec-WebSocket-Accept proves
 * the upstream read the handshake and Sec-WebSocket-Protocol/-Extensions are what it agreed to
 * (RFC 6455 §4.2.2; over HTTP/2 the accept is checked against our key, RFC 8441 §5); the framing
 * fields say where a relayed body ends (RFC 9112 §6.3), and that body is passed on as framed.
 */
export const PROTOCOL_FIELDS: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
])

/**
 * `head` with the route's headersDown applied, {@link PROTOCOL_FIELDS} left as they are; a sticky
 * `setCookie` goes after the upstream's fields and before the rule's own, as forwardResponseHeaders
 * places it on an HTTP answer.
 */
export function withHeaderOps(
  head: ResponseHead,
  ops: CompiledHeaderOps,
  setCookie?: string,
): ResponseHead {
  if (ops === NO_HEADER_OPS && setCookie === undefined) return head
  const fields = head.fields.filter(([name]) => {
    const lower = name.toLowerCase()
    return PROTOCOL_FIELDS.has(lower) || !ops.drop.has(lower)
  })
  if (setCookie !== undefined) fields.push(['set-cookie', setCookie])
  for (let i = 0; i < ops.add.length; i += 2) {
    const name = ops.add[i] as string
    if (!PROTOCOL_FIELDS.has(name)) fields.push([name, ops.add[i + 1] as string])
  }
  return { status: head.status, reason: head.reason, fields }
}

/**
 * A {@link TunnelClient} that applies a route's headersDown (and sticky cookie) to the upstream's
 * answers and records the status the client was sent (0 until one was) and the bytes of an error
 * answer's body.
 */
export class RouteTunnelClient implements TunnelClient {
  status = 0
  /** Body bytes of an error answer made here (a relayed body and frames are the tunnel's count). */
  bytes = 0
  /**
   * The Set-Cookie pinning the client to the upstream tried last (`cookie` load balancing, a client
   * without a valid pin), added to that upstream's answer; our own error answers get none, as on the
   * HTTP path. Set on each pick: a retry on another upstream pins to that one.
   */
  setCookie: string | undefined
  readonly #inner: TunnelClient
  readonly #ops: CompiledHeaderOps
  /** What a switch is answered with: 101 over HTTP/1.1, 200 over HTTP/2 (RFC 8441 §5). */
  readonly #switchStatus: number

  constructor(inner: TunnelClient, ops: CompiledHeaderOps, switchStatus: 101 | 200) {
    this.#inner = inner
    this.#ops = ops
    this.#switchStatus = switchStatus
  }

  get duplex(): TunnelClient['duplex'] {
    return this.#inner.duplex
  }

  get unframedBody(): boolean {
    return this.#inner.unframedBody
  }

  accept(head: ResponseHead): string | undefined {
    const refused = this.#inner.accept(withHeaderOps(head, this.#ops, this.setCookie))
    if (refused === undefined) this.status = this.#switchStatus
    return refused
  }

  answer(head: ResponseHead): void {
    if (!this.duplex.destroyed) this.status = head.status
    this.#inner.answer(withHeaderOps(head, this.#ops, this.setCookie))
  }

  fail(status: number, text: string): void {
    if (!this.duplex.destroyed) {
      this.status = status
      // Both clients send the text and a newline as the body.
      this.bytes = Buffer.byteLength(text) + 1
    }
    this.#inner.fail(status, text)
  }

  end(last?: Buffer): void {
    this.#inner.end(last)
  }

  endAnswer(): void {
    this.#inner.endAnswer()
  }

  destroy(): void {
    this.#inner.destroy()
  }

  closedByError(hadError: boolean | undefined): boolean {
    return this.#inner.closedByError(hadError)
  }

  setIdleTimeout(ms: number, onTimeout: () => void): void {
    this.#inner.setIdleTimeout(ms, onTimeout)
  }
}
