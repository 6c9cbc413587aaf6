/**
 * The access-log line of a WebSocket handshake, as nginx writes one: a single line, written once the
 * exchange is over (the tunnel closed, whether by either peer, an idle timeout, a reload or a
 * shutdown; or the refusal sent and the client's connection or stream closed).
 */
import type { Duplex } from 'node:stream'
import { accessLogEntry } from './access-log.js'

/** What the line says of the request, known before it is routed. */
export interface HandshakeRequest {
  remote: string
  /** GET for an HTTP/1.1 Upgrade, CONNECT for an RFC 8441 extended CONNECT. */
  method: string
  host: string
  path: string
  proto: '1.1' | '2'
  /** `performance.now()` when the handshake arrived. */
  start: number
}

/** What the client got, read once the exchange is over. */
export interface HandshakeOutcome {
  status: number
  bytes: number
  upstream: string | undefined
}

/** Writes the line to `sink` once `closed` settles. */
export function logWhenClosed(
  sink: (entry: Record<string, unknown>) => void,
  req: HandshakeRequest,
  closed: Promise<void>,
  outcome: () => HandshakeOutcome,
): void {
  void closed.then(() => {
    const { status, bytes, upstream } = outcome()
    const durationMs = performance.now() - req.start
    const { remote, method, host, path, proto } = req
    sink(
      accessLogEntry(
        { remote, method, host, path, status, bytes, durationMs, upstream, proto },
        Date.now(),
      ),
    )
  })
}

/** Settles when `duplex` has closed (at once if it already has). */
export function closeOf(duplex: Duplex): Promise<void> {
  if (duplex.closed) return Promise.resolve()
  return new Promise((resolve) => duplex.once('close', () => resolve()))
}
