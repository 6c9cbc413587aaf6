/**
 * Serving a {@link Gateway} on the HTTPS server: HTTP/2 on the stream API with no compatibility
 * objects, HTTP/1.1 (ALPN `http/1.1` or none) on our own HTTP/1.1 server (http1-connection.ts, which
 * costs a fraction of node:http per request), and the server-wide limits.
 *
 * One Http2SecureServer carries both protocols, so the TLS handshake, SNI and ALPN-01 stay in one
 * place. Without `allowHTTP1` it hands every connection that did not choose h2 to its
 * 'unknownProtocol' listener, which serves HTTP/1.1 on it (https-server.ts). Node installs its
 * compatibility layer's 'stream' listener when a 'request' listener is added (a 'newListener' hook set
 * in the constructor): that hook is removed first, so HTTP/2 streams reach only the gateway.
 * test/integration/proxy-front.test.ts pins this.
 */
import type { Http2SecureServer, SecureServerOptions } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import { LINGER_MS } from '../proxy/reply.js'
import type { Gateway, GatewayLimits } from '../proxy/types.js'
import { Http1Connection } from './http1-connection.js'

export const DEFAULT_GATEWAY_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxUrlBytes: 8 * 1024,
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
})

/** Room for the request line and CRLFs on top of the URL and header limits in the parser's bound. */
const HEAD_SLACK = 512

/** Options for `createSecureServer` that must be given at construction. */
export function gatewayServerOptions(limits: GatewayLimits): SecureServerOptions {
  return {
    handshakeTimeout: limits.handshakeTimeoutMs,
    // RFC 9113 §6.5.2: advertised to clients; nghttp2 resets streams that exceed them.
    // Room above the count limit so the gateway answers 431 instead of nghttp2 resetting the stream.
    maxHeaderListPairs: Math.max(128, limits.maxHeaderCount * 2),
    settings: {
      maxHeaderListSize: limits.maxHeaderBytes,
      maxConcurrentStreams: 250,
      // RFC 8441 §3: clients may open WebSockets as extended CONNECT streams on this connection.
      enableConnectProtocol: true,
    },
  }
}

export function attachGateway(
  server: Http2SecureServer,
  gateway: Gateway,
  limits: GatewayLimits,
): void {
  // The compatibility layer's 'stream' listener is never installed: streams reach only the gateway.
  server.removeAllListeners('newListener')
  server.on('stream', (stream, headers) => gateway.handleStream(stream, headers))
  // An idle HTTP/2 connection is closed gracefully: GOAWAY, open streams finish first.
  server.on('session', (session) => session.setTimeout(limits.idleTimeoutMs, () => session.close()))
}

/** Serves an HTTP/1.1 connection (ALPN `http/1.1` or none) for `gateway` with our own HTTP/1.1 server. */
export function serveHttp1(
  socket: TLSSocket,
  gateway: Gateway,
  limits: GatewayLimits,
): Http1Connection {
  // Nagle would hold a small answer back for the client's delayed ACK (node:http sets it too).
  socket.setNoDelay(true)
  return new Http1Connection(
    socket,
    {
      request: (req, reply) => gateway.serveHttp1(req, reply),
      upgrade: (req, rest) => gateway.upgradeHttp1(req, rest),
      refused: (status, bodyBytes, durationMs) =>
        gateway.refusedHttp1?.({ status, bodyBytes, peer: socket.remoteAddress ?? '', durationMs }),
    },
    {
      // The parser bounds the whole head; the gateway answers 414/431 precisely below this.
      maxHeadBytes: limits.maxHeaderBytes + limits.maxUrlBytes + HEAD_SLACK,
      headerTimeoutMs: limits.headerTimeoutMs,
      bodyTimeoutMs: limits.bodyTimeoutMs,
      idleTimeoutMs: limits.idleTimeoutMs,
      lingerMs: LINGER_MS,
    },
  )
}
