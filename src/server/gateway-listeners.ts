/**
 * Serving a {@link Gateway} on the HTTPS server: HTTP/1.1 (ALPN `http/1.1` or none) through node:http's
 * parser, HTTP/2 on the stream API with no compatibility objects, and the server-wide limits.
 *
 * One Http2SecureServer with `allowHTTP1` carries both protocols (Node runs node:http's connection
 * listener for non-h2 sockets), so the TLS handshake, SNI and ALPN-01 stay in one place. Node installs
 * its compatibility layer's 'stream' listener when a 'request' listener is added (a 'newListener' hook
 * set in the constructor): that hook is removed first, so HTTP/2 streams reach only the gateway.
 * test/integration/proxy-front.test.ts pins this.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type {
  Http2SecureServer,
  Http2ServerRequest,
  Http2ServerResponse,
  SecureServerOptions,
} from 'node:http2'
import type { Duplex } from 'node:stream'
import type { Gateway, GatewayLimits } from '../proxy/types.js'

export const DEFAULT_GATEWAY_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxUrlBytes: 8 * 1024,
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 10_000,
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
  server.removeAllListeners('newListener')
  // With the compatibility layer never installed, 'request' carries HTTP/1.1 requests only.
  const onRequest = (req: IncomingMessage, res: ServerResponse): void =>
    gateway.handleRequest(req, res)
  const listener = onRequest as unknown as (
    req: Http2ServerRequest,
    res: Http2ServerResponse,
  ) => void
  server.on('request', listener)
  // With a listener, Node leaves `Expect: 100-continue` to us: a body over the limit is refused
  // before the client sends it (RFC 9110 §10.1.1); the gateway sends 100 once it accepts.
  server.on('checkContinue', listener)
  server.on('stream', (stream, headers) => gateway.handleStream(stream, headers))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    gateway.handleUpgrade(req, socket, head),
  )
  server.on('clientError', (err: Error, socket: Duplex) => onClientError(err, socket, limits))
  // An idle HTTP/2 connection is closed gracefully: GOAWAY, open streams finish first.
  server.on('session', (session) => session.setTimeout(limits.idleTimeoutMs, () => session.close()))
  // Fields node:http's connection listener reads from its server; the http2 server runs that listener
  // for HTTP/1.1 sockets but has no constructor options for them.
  Object.assign(server, {
    // The parser bounds the whole head; the gateway answers 414/431 precisely below this.
    maxHeaderSize: limits.maxHeaderBytes + limits.maxUrlBytes + HEAD_SLACK,
    // One more than allowed, so the gateway sees the excess and answers 431 (the parser drops extras).
    maxHeadersCount: limits.maxHeaderCount + 1,
    headersTimeout: limits.headerTimeoutMs,
    // No bound on a whole request: a large upload on a slow link is legitimate.
    requestTimeout: 0,
    keepAliveTimeout: limits.idleTimeoutMs,
    // How often expired heads are looked for: the header timeout is enforced within this.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headerTimeoutMs / 4)),
    // Never lenient, whatever --insecure-http-parser says (RFC 9112 §11.2).
    insecureHTTPParser: false,
    requireHostHeader: true,
  })
}

/** The status for an error node:http's parser raised on a connection, and a one-line reason. */
export function clientErrorStatus(
  err: { code?: string; reason?: string; rawPacket?: Buffer },
  limits: GatewayLimits,
): [status: number, message: string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': {
      const packet = err.rawPacket
      const line = packet ? packet.subarray(0, 64).toString('latin1') : ''
      // A head cut off inside its first line: the request-target is what is too long.
      return /^[A-Z]+ /.test(line) && !packet?.includes(0x0a)
        ? [414, `request-target longer than ${limits.maxUrlBytes} bytes`]
        : [431, `request header fields larger than ${limits.maxHeaderBytes} bytes`]
    }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, `request head not received within ${limits.headerTimeoutMs} ms`]
    case 'HPE_INVALID_TRANSFER_ENCODING':
      // llhttp uses this code for Transfer-Encoding with Content-Length too (RFC 9112 §6.3: 400).
      if (err.reason?.includes('Content-Length'))
        return [400, 'Content-Length together with Transfer-Encoding']
      // RFC 9112 §6.1: a coding we do not implement; only a final `chunked` frames a request body.
      return [501, 'Transfer-Encoding other than chunked is not supported']
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return [
        400,
        'Content-Length together with Transfer-Encoding, or more than one Content-Length',
      ]
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'chunk extensions too large']
    default:
      return [400, 'malformed request']
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
}

/** RFC 9112 §11.2: a request that cannot be framed is answered and the connection closed. */
function onClientError(err: Error, socket: Duplex, limits: GatewayLimits): void {
  const e = err as { code?: string; reason?: string; rawPacket?: Buffer }
  // A response already under way on this connection cannot be followed by another status line.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (e.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy()
    return
  }
  const [status, message] = clientErrorStatus(e, limits)
  const body = `${message}\n`
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
  // A client that never reads must not hold the socket open.
  setTimeout(() => socket.destroy(), 1000).unref()
}
