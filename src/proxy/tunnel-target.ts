/**
 * What a WebSocket tunnel (websocket-tunnel.ts) is asked to do: the upstream and request to send it,
 * its timeouts, and the handle its caller keeps. The caller (upgrade.ts) builds these from a route.
 */
import { serializeRequestHead } from './http-head.js'
import type { ProxyRoute } from './types.js'
import type { Upstream } from './upstream-group.js'
import type { AttemptFailure } from './upstream-attempts.js'

export interface TunnelTarget {
  upstream: Upstream
  /** Request path (with query) to send upstream. */
  path: string
  /** Headers to send (forwarding headers already applied; Connection/Upgrade/Sec-WebSocket-* kept). */
  headers: Record<string, string | string[]>
  /** The upstream answered the handshake (a 101 the client accepted, or any final answer). */
  onAnswer?: () => void
  /**
   * The attempt on this target failed before any answer reached the client ('connect': before a
   * byte of the handshake was written). Returns a target to try instead, for a 'connect' failure
   * only; undefined (or no hook) tells the client (502, or 504 for a timeout).
   */
  onFailure?: (failure: AttemptFailure, err: Error) => TunnelTarget | undefined
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
   * if not closed within GOING_AWAY_MS (websocket-going-away.ts).
   */
  close(): void
  /** Settles when both connections are closed. Never rejects. */
  readonly closed: Promise<void>
  /** Bytes sent to the client after the answer's head: an open tunnel's frames, or a relayed body. */
  readonly bytesSent: number
}

/**
 * The HTTP/1.1 handshake request for `target` (RFC 6455 §4.1), with the upstream's own Host when the
 * caller gave none. Throws when a header cannot be sent (see serializeRequestHead).
 */
export function tunnelRequestHead(method: string, target: TunnelTarget): Buffer {
  return serializeRequestHead(method, target.path, requestHeaders(target))
}

function requestHeaders(target: TunnelTarget): Record<string, string | string[]> {
  const headers = target.headers
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'host')) return headers
  return { host: target.upstream.url.host, ...headers }
}
