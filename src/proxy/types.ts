/**
 * The reverse proxy's resolved options: what `gatehouse.toml`'s `[[site]]` blocks, `gatehouse
 * reverse-proxy` and the library produce. Units are in the names (`Ms`, `Bytes`). The config layer
 * (src/config) builds these from TOML, environment and flags; the proxy never reads files or env.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { Duplex, Readable } from 'node:stream'
import type { Reply } from './reply.js'
import type { RequestHead } from './request-head.js'

/** One `[[site]]`: the hosts it answers and its routes, longest path prefix first when matched. */
export interface SiteOptions {
  /** Exact names (`app.example.com`) and wildcards (`*.example.com`, one label), lower case. */
  hosts: string[]
  routes: RouteOptions[]
  /** Write an access-log line per request and per WebSocket handshake. Default true. */
  accessLog: boolean
}

export type RouteOptions = ProxyRoute | StaticRoute | RedirectRoute | RespondRoute

export interface RouteBase {
  /** Path prefix, matched on segment boundaries (`/ws` matches `/ws` and `/ws/x`, not `/wsx`). */
  path: string
  /** Request bodies larger than this get 413. Default 10 MiB; `Infinity` for none. */
  maxBodyBytes: number
  /** Headers changed on the way to the upstream (after the forwarding headers are set). */
  headersUp: HeaderOps
  /**
   * Headers changed on the way back to the client; on a WebSocket handshake's answer too, except
   * the fields the handshake needs (see websocket-answer.ts).
   */
  headersDown: HeaderOps
}

/**
 * Checked when a gateway builds the route (see header-ops-check.ts): a name that is not a token or
 * is a framing or connection field the proxy manages, or a value with a control character, is a
 * TypeError naming the route.
 */
export interface HeaderOps {
  /** Set (replace) these headers; names lower case. */
  set: Record<string, string>
  /** Remove these headers; names lower case. */
  remove: string[]
}

export type LoadBalancing = 'round_robin' | 'least_conn' | 'random_two' | 'ip_hash' | 'cookie'

export interface UpstreamOptions {
  /** `http://host:port` or `https://host:port`, optionally with a path prefix prepended to requests. */
  url: string
}

export interface ProxyRoute extends RouteBase {
  kind: 'proxy'
  upstreams: UpstreamOptions[]
  /** Default `round_robin`. */
  loadBalancing: LoadBalancing
  /** Cookie name for `cookie` stickiness. Default `gatehouse_upstream`. */
  stickyCookie: string
  /** Passive health: eject an upstream after `maxFails` failures within `failWindowMs`, for `ejectMs`. */
  passiveHealth: { maxFails: number; failWindowMs: number; ejectMs: number }
  /** Active health checks; undefined for none. */
  healthCheck?: { path: string; intervalMs: number; timeoutMs: number; expectStatus: number }
  /** Retries of idempotent requests on connection failure only (never after bytes were sent). Default 1. */
  retries: number
  /** Default 5 000. */
  connectTimeoutMs: number
  /** Until the upstream's response headers arrive. Default 60 000; 504 when it passes. */
  responseTimeoutMs: number
  /** An open WebSocket tunnel with no traffic either way is closed after this. Default 1 day. */
  websocketIdleTimeoutMs: number
  /** For https upstreams: a CA file to trust (PEM path), or `verify: false` by explicit choice. */
  upstreamTls: { caFile?: string; verify: boolean; servername?: string }
  /** Send the client's Host upstream (default true), else the upstream's host:port. */
  preserveHost: boolean
}

export interface StaticRoute extends RouteBase {
  kind: 'static'
  /** Folder served; nothing outside it is ever read (no traversal, no symlinks out). */
  root: string
  /** Default `['index.html']`. */
  index: string[]
}

export interface RedirectRoute extends RouteBase {
  kind: 'redirect'
  /** Target URL; `{path}` and `{query}` are replaced by the request's. */
  to: string
  /** 301, 302, 307 or 308. Default 308. */
  status: number
}

export interface RespondRoute extends RouteBase {
  kind: 'respond'
  status: number
  body: string
  /** Default `text/plain; charset=utf-8`. */
  contentType: string
}

/** Server-wide limits and timeouts (RFC 9110/9112 status codes in brackets). */
export interface GatewayLimits {
  /** Total request header bytes [431]. Default 16 KiB. */
  maxHeaderBytes: number
  /** Number of request header fields [431]. Default 100. */
  maxHeaderCount: number
  /** Request-target length [414]. Default 8 KiB. */
  maxUrlBytes: number
  /** TLS handshake must complete within this. Default 10 000. */
  handshakeTimeoutMs: number
  /** Request head must arrive within this (slow-loris bound) [408]. Default 10 000. */
  headerTimeoutMs: number
  /**
   * Longest pause between two reads of an HTTP/1.1 request body (a stalled upload) [408]; the
   * upstream request it feeds is aborted. Default 60 000. HTTP/2 streams are bounded by the
   * connection's idle timeout.
   */
  bodyTimeoutMs: number
  /** Keep-alive connection with no request in flight is closed after this. Default 60 000. */
  idleTimeoutMs: number
}

export interface GatewayOptions {
  sites: SiteOptions[]
  limits: GatewayLimits
  /** CIDRs (or addresses) whose X-Forwarded-* headers are trusted and extended rather than replaced. */
  trustedProxies: string[]
  /** Value of our `Via` entry's pseudonym. Default `gatehouse`. */
  via: string
  /**
   * Access-log sink: one JSON object per request, and per WebSocket handshake once its tunnel has
   * closed (see access-log.ts). Default: none.
   */
  accessLog?: (entry: Record<string, unknown>) => void
}

/** An HTTP/1.1 request as Gatehouse's own HTTP/1.1 server reads it (src/server/http1-connection.ts). */
export interface Http1Request {
  readonly head: RequestHead
  /** The decoded body (Content-Length or chunked), or null when the request has none. */
  readonly body: Readable | null
  /** The connection (a TLSSocket on the HTTPS server). */
  readonly socket: Duplex
  /**
   * Sends `100 Continue` if the client waits for it (RFC 9110 §10.1.1): once, and only when called,
   * so a body over the limit is refused before the client sends it.
   */
  readonly continue: () => void
}

/**
 * What the HTTPS server calls. HTTP/1.1 requests come from Gatehouse's own HTTP/1.1 server
 * (`serveHttp1`, `upgradeHttp1`); HTTP/2 streams through `handleStream` (the stream API, not the
 * compatibility layer), WebSockets (RFC 8441 extended CONNECT) included: the server advertises
 * SETTINGS_ENABLE_CONNECT_PROTOCOL.
 */
/** What the access log is told of a head refused before it could be read. */
export interface RefusedHttp1 {
  status: number
  /** Length of the answer's body. */
  bodyBytes: number
  /** The client's address. */
  peer: string
  /** From the head's first byte to the refusal, in milliseconds (0 for a head read at once). */
  durationMs: number
}

export interface Gateway {
  serveHttp1(req: Http1Request, reply: Reply): void
  /**
   * A request with `Connection: upgrade` and an Upgrade field. True: the gateway took the socket
   * (`rest`: the bytes read past the head); false: it is served as a plain request on a connection
   * that closes after it (RFC 9110 §7.8 lets a server ignore an upgrade).
   */
  upgradeHttp1(req: Http1Request, rest: Buffer): boolean
  /**
   * An HTTP/1.1 request the server refused before handing it over (an unreadable, too large or too
   * slow head), for the access log.
   */
  refusedHttp1?(refusal: RefusedHttp1): void
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void
  /** Whether any site answers this host (for the HTTP→HTTPS redirect and certificate names). */
  serves(host: string): boolean
  /**
   * Apply new sites. Routes whose options did not change keep their upstream pools, health state and
   * open WebSocket tunnels; tunnels on removed or changed routes are closed.
   */
  update(sites: SiteOptions[]): void
  /** Stop health checks and close upstream pools; open tunnels are closed. */
  close(): Promise<void>
  /**
   * Close every open WebSocket tunnel as a server going away: a 1001 close frame to both sides after
   * the frame each is receiving, then FIN; resolves once all are closed (each within a few seconds).
   * A drain calls it once the listeners stop accepting. Optional: a gateway without tunnels has none.
   */
  closeTunnels?(): Promise<void>
}
