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
import { checkHttp1Request, isRefusal } from './request-checks.js'
import type { RouteState, SiteState } from './route-state.js'
import type { Router } from './router.js'
import type { GatewayLimits } from './types.js'
import { proxyWebSocket } from './websocket-tunnel.js'

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
  const checked = checkHttp1Request(req.httpVersion, url, req.rawHeaders, serverName(socket))
  if (isRefusal(checked)) return refuse(socket, checked.status, checked.message)
  const match = ctx.router.match(checked.host, checked.path)
  const proxy = match?.route.proxy
  if (!proxy) return refuse(socket, 404, `no WebSocket route for ${checked.host}`)
  const peer = peerAddress(socket)
  const cookie = req.headers.cookie
  const pick = proxy.group.pick({ clientIp: peer, ...(cookie !== undefined ? { cookie } : {}) })
  if (!pick) return refuse(socket, 502, 'no healthy upstream')
  const { upstream } = pick
  const flat = forwardRequestHeaders(
    req.rawHeaders,
    {
      peer,
      trusted: ctx.trusted(peer),
      host: checked.rawHost,
      upstreamHost: proxy.options.preserveHost ? checked.rawHost : upstream.url.host,
      version: '1.1',
      via: ctx.via,
      websocket: true,
    },
    proxy.up,
  )
  const base = upstream.url.pathname
  proxy.group.begin(upstream)
  const tunnel = proxyWebSocket(
    req,
    socket,
    head,
    {
      upstream,
      path: base.length > 1 ? `${base.replace(/\/$/, '')}${checked.path}` : checked.path,
      headers: toRecord(flat),
    },
    {
      connectTimeoutMs: proxy.options.connectTimeoutMs,
      responseTimeoutMs: proxy.options.responseTimeoutMs,
      idleTimeoutMs: proxy.options.websocketIdleTimeoutMs,
      upstreamTls: proxy.options.upstreamTls,
    },
  )
  proxy.tunnels.add(tunnel)
  void tunnel.closed.finally(() => {
    proxy.tunnels.delete(tunnel)
    proxy.group.end(upstream)
  })
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

function serverName(socket: Duplex): string | undefined {
  const name = (socket as TLSSocket).servername
  return typeof name === 'string' && name.length > 0 ? name : undefined
}

function peerAddress(socket: Duplex): string {
  const a = (socket as TLSSocket).remoteAddress ?? ''
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
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
