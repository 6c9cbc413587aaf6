import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import type { ProxyRoute } from './types.js'
import type { Upstream } from './upstream-group.js'
import { UpstreamServer } from './upstream-server.js'
import { createUpstreamTls, hostnameOf, portOf, type UpstreamTls } from './upstream-tls.js'

/** After our last byte to a peer, how long it gets to close its side before we drop the connection. */
export const LINGER_MS = 2_000

/**
 * A raw connection to `upstream` for a tunnel, half-open allowed (so a half-close can travel through):
 * TCP for http, TLS for https with the upstream's SecureContext, SNI and verification, offering only
 * HTTP/1.1 in ALPN (an Upgrade is an HTTP/1.1 mechanism). `ready` is the event after which the request
 * may be written.
 */
export function connectUpstream(
  upstream: Upstream,
  fallbackTls: ProxyRoute['upstreamTls'],
): { socket: Socket; ready: 'connect' | 'secureConnect' } {
  const { url } = upstream
  const tls = tlsOf(upstream, fallbackTls)
  const endpoint = { host: hostnameOf(url), port: portOf(url), allowHalfOpen: true }
  if (tls === undefined) return { socket: netConnect(endpoint), ready: 'connect' }
  const socket = tlsConnect({
    ...endpoint,
    secureContext: tls.secureContext,
    rejectUnauthorized: tls.rejectUnauthorized,
    ALPNProtocols: ['http/1.1'],
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  })
  return { socket, ready: 'secureConnect' }
}

/**
 * The upstream's TLS settings: an upstream from an UpstreamGroup carries them, built once; any other
 * upstream (a caller's own object) gets them built here, reading the CA file for this connection.
 */
function tlsOf(upstream: Upstream, options: ProxyRoute['upstreamTls']): UpstreamTls | undefined {
  return upstream instanceof UpstreamServer
    ? upstream.tls
    : createUpstreamTls(upstream.url, options)
}

/**
 * Ends `socket` after `last`, reading and dropping whatever the peer still sends (closing with unread
 * data makes the kernel send a reset, which can destroy what we wrote before the peer reads it), and
 * destroys it if the peer has not closed within {@link LINGER_MS}.
 */
export function endGracefully(socket: Duplex, last?: Buffer): void {
  if (socket.destroyed) return
  socket.resume()
  if (last === undefined) socket.end()
  else socket.end(last)
  const linger = setTimeout(() => socket.destroy(), LINGER_MS)
  linger.unref()
  socket.once('close', () => clearTimeout(linger))
}

/** What went wrong with an upstream connection, as the end of "upstream HOST:PORT ...". */
export function describeSocketError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused the connection'
    case 'ECONNRESET':
      return 'reset the connection'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'could not be resolved'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'is unreachable'
    default:
      return `failed: ${err.message}`
  }
}
