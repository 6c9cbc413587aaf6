/**
 * HTTP/1.1 Upgrade requests (RFC 9110 §7.8). Only `websocket` (RFC 6455) is forwarded, to proxy
 * routes. Any other token (`h2c` above all: RFC 9113 §3.1 has no upgrade over TLS, and a forwarded
 * h2c upgrade would open a tunnel past every route) is ignored as §7.8 allows: the request is served
 * as a plain request on a connection that closes after it.
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { forwardRequestHeaders, NO_HEADER_OPS } from './forward-headers.js'
import { minimalResponse } from './http-head.js'
import type { ProxyRouteState } from './proxy-exchange.js'
import { checkHttp1Request, isRefusal, type CheckedRequest } from './request-checks.js'
import { cookieField, peerOf, serverName } from './request-fields.js'
import type { RouteState, SiteState } from './route-state.js'
import type { Router } from './router.js'
import type { GatewayLimits, Http1Request } from './types.js'
import { Http1TunnelClient, type TunnelClient } from './tunnel-client.js'
import { endGracefully } from './tunnel-sockets.js'
import { UpstreamAttempts } from './upstream-attempts.js'
import type { Pick, Upstream } from './upstream-group.js'
import { RouteTunnelClient } from './websocket-answer.js'
import {
  closeOf,
  logWhenClosed,
  type HandshakeOutcome,
  type HandshakeRequest,
} from './websocket-log.js'
import type { TunnelHandle, TunnelOptions, TunnelTarget } from './tunnel-target.js'
import { tunnelWebSocket } from './websocket-tunnel.js'

export interface UpgradeContext {
  limits: GatewayLimits
  router: Router<SiteState, RouteState>
  trusted: (ip: string) => boolean
  via: string
  /** Access-log sink: a line per handshake on sites with `accessLog` on (see websocket-log.ts). */
  accessLog: ((entry: Record<string, unknown>) => void) | undefined
}

/**
 * An HTTP/1.1 request with `Connection: upgrade`: a WebSocket handshake is checked, routed and
 * tunnelled (true: the socket is ours); any other token is left to the plain path (false), unless
 * the request has a body, which is refused: an upgrade carries none.
 */
export function handleUpgrade(ctx: UpgradeContext, req: Http1Request, rest: Buffer): boolean {
  const start = performance.now()
  const { head, socket } = req
  const token = (fieldOf(head.rawHeaders, 'upgrade') ?? '').trim().toLowerCase()
  if (req.body !== null) {
    socket.on('error', () => socket.destroy())
    refuse(socket, 400, 'a body with an Upgrade request is not accepted')
    return true
  }
  if (token !== 'websocket') return false
  socket.on('error', () => socket.destroy())
  const url = head.target
  if (url.length > ctx.limits.maxUrlBytes) {
    refuse(socket, 414, 'request-target too long')
    return true
  }
  if (head.rawHeaders.length / 2 > ctx.limits.maxHeaderCount) {
    refuse(socket, 431, 'too many header fields')
    return true
  }
  const checked = checkHttp1Request(
    head.version,
    url,
    head.rawHeaders,
    serverName(socket as TLSSocket),
  )
  const peer = peerOf((socket as Partial<TLSSocket>).remoteAddress)
  const method = head.method
  if (isRefusal(checked)) {
    if (checked.host === undefined) {
      refuse(socket, checked.status, checked.message)
      return true
    }
    const { host } = checked
    const logged = { remote: peer, method, host, path: url, proto: '1.1' as const, start }
    refuseMisdirected(ctx, logged, new Http1TunnelClient(socket), checked)
    return true
  }
  openWebSocket(
    ctx,
    {
      ...checked,
      method,
      rawHeaders: head.rawHeaders,
      peer,
      cookie: cookieField(head.rawHeaders),
      version: '1.1',
      start,
    },
    new Http1TunnelClient(socket),
    rest,
  )
  return true
}

function fieldOf(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === name) return raw[i + 1]
  }
  return undefined
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
  /** `performance.now()` when the handshake arrived, for the access log. */
  start: number
}

/**
 * Routes a WebSocket handshake like any request (host and path, the same route's upstreams, load
 * balancing and sticky cookie, passive health and retries, forwarding headers, headersUp and
 * headersDown) and opens a tunnel for `client` on a proxy route, tracked on the route so that a
 * reload or drain can close it; answers 404 or 502 otherwise. A site with `accessLog` on gets one
 * line for it once the exchange is over.
 */
export function openWebSocket(
  ctx: UpgradeContext,
  req: WebSocketRequest,
  client: TunnelClient,
  head: Buffer,
): void {
  const match = ctx.router.match(req.host, req.path)
  const site = match?.site ?? ctx.router.siteFor(req.host)
  const sink = site?.accessLog === true ? ctx.accessLog : undefined
  const down = match?.route.down ?? NO_HEADER_OPS
  const answer = new RouteTunnelClient(client, down, req.version === '2' ? 200 : 101)
  const proxy = match?.route.proxy
  // An upgrade carries no body (a request with one is refused before routing), so a handshake that
  // never reached its upstream may be sent to another, as an idempotent request is.
  const attempts =
    proxy &&
    new UpstreamAttempts(proxy.group, proxy.options, {
      method: req.method,
      hasBody: false,
      clientIp: req.peer,
      cookie: req.cookie,
    })
  const pick = attempts?.next()
  if (!proxy || !attempts || !pick) {
    answer.fail(
      proxy ? 502 : 404,
      proxy ? 'no healthy upstream' : `no WebSocket route for ${req.host}`,
    )
    if (sink) logWhenClosed(sink, logged(req), closeOf(client.duplex), () => outcome(answer))
    return
  }
  const handshake: Handshake = { ctx, proxy, req, attempts, answer, upstream: pick.upstream }
  const tunnel = tunnelWebSocket(
    answer,
    head,
    targetOn(handshake, pick),
    tunnelOptions(proxy),
    req.method,
  )
  proxy.tunnels.add(tunnel)
  void tunnel.closed.finally(() => {
    proxy.tunnels.delete(tunnel)
    proxy.group.end(handshake.upstream)
  })
  if (sink)
    logWhenClosed(sink, logged(req), tunnel.closed, () =>
      outcome(answer, tunnel, handshake.upstream),
    )
}

/** One handshake's attempts on its route's upstreams. */
interface Handshake {
  readonly ctx: UpgradeContext
  readonly proxy: ProxyRouteState
  readonly req: WebSocketRequest
  readonly attempts: UpstreamAttempts
  readonly answer: RouteTunnelClient
  /** The upstream of the current attempt, counted in flight on it until the tunnel closes. */
  upstream: Upstream
}

/**
 * The tunnel's target on `pick`: the handshake as that upstream gets it, its answer carrying the
 * pick's sticky cookie. How the attempt ends goes to the route's passive health, and a failure the
 * policy retries (upstream-attempts.ts) moves the handshake to the next upstream's target.
 */
function targetOn(h: Handshake, pick: Pick): TunnelTarget {
  const { upstream } = pick
  h.upstream = upstream
  h.answer.setCookie = pick.setCookie
  h.proxy.group.begin(upstream)
  return {
    ...forwardedHandshake(h.ctx, h.proxy, upstream, h.req),
    onAnswer: () => h.attempts.answered(upstream),
    onFailure: (failure, err) => {
      const next = h.attempts.failed(upstream, failure, err) ? h.attempts.next() : undefined
      if (next === undefined) return undefined
      h.proxy.group.end(upstream)
      return targetOn(h, next)
    },
  }
}

function tunnelOptions(proxy: ProxyRouteState): TunnelOptions {
  const { options } = proxy
  return {
    connectTimeoutMs: options.connectTimeoutMs,
    responseTimeoutMs: options.responseTimeoutMs,
    idleTimeoutMs: options.websocketIdleTimeoutMs,
    upstreamTls: options.upstreamTls,
  }
}

/** The path and headers `upstream` gets for the handshake. */
function forwardedHandshake(
  ctx: UpgradeContext,
  proxy: ProxyRouteState,
  upstream: Upstream,
  req: WebSocketRequest,
): TunnelTarget {
  const flat = forwardRequestHeaders(
    req.rawHeaders,
    {
      peer: req.peer,
      trusted: ctx.trusted(req.peer),
      host: req.rawHost,
      upstreamHost: proxy.options.preserveHost ? req.rawHost : upstream.url.host,
      version: req.version,
      via: ctx.via,
      websocket: true,
    },
    proxy.up,
  )
  const base = upstream.url.pathname
  return {
    upstream,
    path: base.length > 1 ? `${base.replace(/\/$/, '')}${req.path}` : req.path,
    headers: toRecord(flat),
  }
}

/**
 * A handshake for a host other than the connection's (421, RFC 9110 §15.5.20): answered, and logged
 * when the host it named is a site with `accessLog` on.
 */
export function refuseMisdirected(
  ctx: UpgradeContext,
  req: HandshakeRequest,
  client: TunnelClient,
  refusal: { status: number; message: string },
): void {
  const answer = new RouteTunnelClient(client, NO_HEADER_OPS, req.proto === '2' ? 200 : 101)
  answer.fail(refusal.status, refusal.message)
  const sink = ctx.router.siteFor(req.host)?.accessLog === true ? ctx.accessLog : undefined
  if (sink) logWhenClosed(sink, req, closeOf(client.duplex), () => outcome(answer))
}

function logged(req: WebSocketRequest): HandshakeRequest {
  const { peer: remote, host, path, version: proto, start } = req
  return { remote, method: proto === '2' ? 'CONNECT' : req.method, host, path, proto, start }
}

/**
 * Bytes as nginx's $body_bytes_sent has them for a WebSocket: all sent to the client after the
 * answer's head, over the tunnel's whole life.
 */
function outcome(
  answer: RouteTunnelClient,
  tunnel?: TunnelHandle,
  upstream?: Upstream,
): HandshakeOutcome {
  return {
    status: answer.status,
    bytes: answer.bytes + (tunnel?.bytesSent ?? 0),
    upstream: upstream?.label,
  }
}

/**
 * Answers a handshake refused before routing and ends the connection. Through endGracefully, as
 * every other end of a client's socket here: a client that never reads nor closes its side would
 * otherwise keep it half-open for good.
 */
function refuse(socket: Duplex, status: number, message: string): void {
  endGracefully(socket, minimalResponse(status, STATUS_CODES[status] ?? 'Error', message))
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
