/**
 * STAND-IN (branch wt-proxy): the interface agreed in notes/upstream-interface.md; the real tunnel
 * comes from branch wt-upstreams and replaces this file at merge. This one answers 502.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ProxyRoute } from './types.js'
import type { Upstream } from './upstream-group.js'

export interface TunnelTarget {
  upstream: Upstream
  /** Request path (with query) to send upstream. */
  path: string
  /** Headers to send (forwarding headers applied; Connection/Upgrade/Sec-WebSocket-* kept). */
  headers: Record<string, string | string[]>
}

export interface TunnelOptions {
  connectTimeoutMs: number
  responseTimeoutMs: number
  idleTimeoutMs: number
  upstreamTls: ProxyRoute['upstreamTls']
}

export function proxyWebSocket(
  _req: IncomingMessage,
  socket: Duplex,
  _head: Buffer,
  _target: TunnelTarget,
  _options: TunnelOptions,
): { close(): void; readonly closed: Promise<void> } {
  const body = 'WebSocket proxying is not available in this build\n'
  socket.end(
    `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return { close: () => socket.destroy(), closed }
}
