/**
 * HTTP/1.1 Upgrade requests (RFC 9110 §7.8). Only `websocket` (RFC 6455) is forwarded, to proxy
 * routes. Any other token (`h2c` above all: RFC 9113 §3.1 has no upgrade over TLS, and a forwarded
 * h2c upgrade would open a tunnel past every route) is ignored as §7.8 allows: the request is served
 * as a plain request on a connection that closes after it.
 */
import { ServerResponse, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { forwardRequestHeaders } from './forward-headers.js'
import { checkHttp1Request, isRefusal, type CheckedRequest } from './request-checks.js'
import { peerOf, serverName } from './request-fields.js'
import type { RouteState, SiteState } from './route-state.js'
import type { Router } from './router.js'
import type { GatewayLimits } from './types.js'
import { Http1TunnelClient, type TunnelClient } from './tunnel-client.js'
import { tunnelWebSocket } from './websocket-tunnel.js'

export interface UpgradeContext {
  limits: GatewayLimits
  router: Router<SiteState, RouteState>
  trusted: (ip: string) => boolean
  via: string
  handleRequest(req: IncomingMessage, res: ServerResponse): void
}

export function handleUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  socket.on('error', () => socket.destroy())
  const url = req.url ?? '/'
  if (url.length > ctx.limits.maxUrlBytes) return refuse(socket, 414, 'request-target too long')
  if (req.rawHeaders.length / 2 > ctx.limits.maxHeaderCount)
    return refuse(socket, 431, 'too many header fields')
  const token = (req.headers.upgrade ?? '').trim().toLowerCase()
  if (token !== 'websocket') return serveIgnoringUpgrade(ctx, req, socket, head)
  const checked = checkHttp1Request(
    req.httpVersion,
    url,
    req.rawHeaders,
    serverName(socket as TLSSocket),
  )
  if (isRefusal(checked)) return refuse(socket, checked.status, checked.message)
  const peer = peerOf((socket as Partial<TLSSocket>).remoteAddress)
  const refused = openWebSocket(
    ctx,
    {
      ...checked,
      method: req.method ?? 'GET',
      rawHeaders: req.rawHeaders,
      peer,
      cookie: req.headers.cookie,
      version: '1.1',
    },
    new Http1TunnelClient(socket),
    head,
  )
  if (refused) refuse(socket, refused.status, refused.message)
}

/** A WebSocket handshake past its protocol's checks, from HTTP/1.1 or HTTP/2 (RFC 8441). */
export interface WebSocketRequest extends CheckedRequest {
  /** The method sent upstream: the client's for HTTP/1.1, GET for an extended CONNECT. */
  method: string
  /** The client's fields, with Upgrade (and, from HTTP/2, our Sec-WebSocket-Key). */
  rawHeaders: readonly string[]
  peer: string
  cookie: string | undefined
  /** For Via (RFC 9110 §7.6.3). */
  version: '1.1' | '2'
}

/**
 * Routes a WebSocket handshake like any request (host and path, the same route's upstreams, load
 * balancing, forwarding headers and headersUp) and opens a tunnel for `client` on a proxy route,
 * tracked on the route so that a reload or drain can close it. Returns the refusal otherwise.
 */
export function openWebSocket(
  ctx: UpgradeContext,
  req: WebSocketRequest,
  client: TunnelClient,
  head: Buffer,
): { status: number; message: string } | undefined {
  const proxy = ctx.router.match(req.host, req.path)?.route.proxy
  if (!proxy) return { status: 404, message: `no WebSocket route for ${req.host}` }
  const { peer, cookie } = req
  const pick = proxy.group.pick({ clientIp: peer, ...(cookie !== undefined ? { cookie } : {}) })
  if (!pick) return { status: 502, message: 'no healthy upstream' }
  const { upstream } = pick
  const flat = forwardRequestHeaders(
    req.rawHeaders,
    {
      peer,
      trusted: ctx.trusted(peer),
      host: req.rawHost,
      upstreamHost: proxy.options.preserveHost ? req.rawHost : upstream.url.host,
      version: req.version,
      via: ctx.via,
      websocket: true,
    },
    proxy.up,
  )
  const base = upstream.url.pathname
  proxy.group.begin(upstream)
  const tunnel = tunnelWebSocket(
    client,
    head,
    {
      upstream,
      path: base.length > 1 ? `${base.replace(/\/$/, '')}${req.path}` : req.path,
      headers: toRecord(flat),
    },
    {
      connectTimeoutMs: proxy.options.connectTimeoutMs,
      responseTimeoutMs: proxy.options.responseTimeoutMs,
      idleTimeoutMs: proxy.options.websocketIdleTimeoutMs,
      upstreamTls: proxy.options.upstreamTls,
    },
    req.method,
  )
  proxy.tunnels.add(tunnel)
  void tunnel.closed.finally(() => {
    proxy.tunnels.delete(tunnel)
    proxy.group.end(upstream)
  })
  return undefined
}

/**
 * Node hands an upgrade request over with the raw socket; a response object is attached to it so
 * the normal path serves the request. Without a body only: after an upgrade Node no longer parses
 * the connection, so a body could not be framed.
 */
function serveIgnoringUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const hasBody =
    head.length > 0 ||
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] ?? '0') !== '0'
  if (hasBody) return refuse(socket, 400, 'a body with an Upgrade request is not accepted')
  const res = new ServerResponse(req)
  res.shouldKeepAlive = false
  res.assignSocket(socket as TLSSocket)
  res.once('finish', () => {
    res.detachSocket(socket as TLSSocket)
    socket.end()
  })
  ctx.handleRequest(req, res)
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  414: 'URI Too Long',
  421: 'Misdirected Request',
  505: 'HTTP Version Not Supported',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
}

function toRecord(flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase()
    const value = flat[i + 1] as string
    const prev = out[name]
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]
  }
  return out
}
