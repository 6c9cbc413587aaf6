/**
 * The reverse proxy behind the HTTPS server: routes each request by host and path to a proxy,
 * static, redirect or fixed-response route. HTTP/1.1 arrives from our own server
 * (src/server/http1-connection.ts), HTTP/2 on the stream API (RFC 9113), both served by the same
 * routing and the same checks.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { ServerHttp2Stream } from 'node:http2'
import type { Readable } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { handleExtendedConnect } from './extended-connect.js'
import { limitedBody } from './limited-body.js'
import { limitsRefusal } from './limits-refusal.js'
import { ProxyExchange } from './proxy-exchange.js'
import { Http2Reply, sendText, type Reply } from './reply.js'
import {
  checkHttp1Request,
  checkHttp2Request,
  isRefusal,
  type CheckedRequest,
} from './request-checks.js'
import { logOnClose, logUnrouted, refusedHttp1Entry } from './request-log.js'
import { buildSites, closeRouteState, type RouteState, type SiteState } from './route-state.js'
import { normalizeHost, Router } from './router.js'
import { serveRedirect, serveRespond } from './simple-routes.js'
import { serveStatic } from './static-handler.js'
import {
  cookieField,
  cookieOf,
  first,
  flatten,
  headersObject,
  hostField,
  peerOf,
  serverName,
} from './request-fields.js'
import { compileTrustedProxies } from './trusted-proxies.js'
import type {
  Gateway,
  GatewayLimits,
  GatewayOptions,
  Http1Request,
  RefusedHttp1,
  SiteOptions,
} from './types.js'
import { handleUpgrade, type UpgradeContext } from './upgrade.js'

/** A request after the protocol-specific checks, whichever protocol it came on. */
interface Incoming extends CheckedRequest {
  method: string
  rawHeaders: readonly string[]
  /**
   * The fields as node:http's object (built on first call for HTTP/1.1). A plain function property,
   * not a getter: an object literal with a fresh getter per request leaves its hidden class, and V8
   * then keeps the getter's closure (and with it the request and response) reachable from old space
   * until the next full GC: every request was promoted, scavenges took 5 to 10 ms, and the added p99
   * at 1,000 req/s was 20 to 30 ms (BENCHMARKS.md).
   */
  headers: () => IncomingHttpHeaders
  body: Readable | null
  /** Declared body length; undefined when chunked or absent. */
  contentLength: number | undefined
  peer: string
  version: string
  start: number
  /** The Cookie field(s), joined with `; ` (RFC 9113 §8.2.3), for sticky upstreams. */
  cookie: string | undefined
  /** Sends 100 Continue when the client waits for it (RFC 9110 §10.1.1). */
  continue: (() => void) | undefined
}

export function createGateway(options: GatewayOptions): Gateway {
  return new ProxyGateway(options)
}

class ProxyGateway implements Gateway {
  readonly #limits: GatewayLimits
  readonly #trusted: (ip: string) => boolean
  readonly #via: string
  readonly #log: ((entry: Record<string, unknown>) => void) | undefined
  #router: Router<SiteState, RouteState>
  #routes: Map<string, RouteState>

  constructor(options: GatewayOptions) {
    this.#limits = options.limits
    this.#trusted = compileTrustedProxies(options.trustedProxies)
    this.#via = options.via
    this.#log = options.accessLog
    const { sites, routes } = buildSites(options.sites, new Map())
    this.#router = new Router(sites)
    this.#routes = routes
  }

  serveHttp1(req: Http1Request, reply: Reply): void {
    const start = performance.now()
    const { head } = req
    const raw = head.rawHeaders
    const refused = limitsRefusal(this.#limits, head.target.length, raw)
    const checked =
      refused ??
      checkHttp1Request(head.version, head.target, raw, serverName(req.socket as TLSSocket))
    if (isRefusal(checked)) {
      logUnrouted(this.#log, this.#router, reply, {
        method: head.method,
        host: hostField(raw),
        path: head.target,
        peer: peerOf((req.socket as Partial<TLSSocket>).remoteAddress),
        version: '1.1',
        start,
      })
      return sendText(reply, checked.status, `${checked.message}\n`, { close: checked.close })
    }
    // Every field set, always in this order: one object shape on the hot path, no spreads.
    this.#serve(reply, {
      host: checked.host,
      rawHost: checked.rawHost,
      path: checked.path,
      method: head.method,
      rawHeaders: raw,
      headers: () => headersObject(raw),
      body: req.body,
      contentLength: head.contentLength,
      cookie: cookieField(raw),
      peer: peerOf((req.socket as Partial<TLSSocket>).remoteAddress),
      version: '1.1',
      start,
      continue: req.body === null ? undefined : req.continue,
    })
  }

  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const start = performance.now()
    // A reset stream emits 'error'; unhandled, that would end the process. The exchange sees 'close'.
    stream.on('error', noop)
    const method = first(headers[':method']) ?? 'GET'
    const reply = new Http2Reply(stream, method)
    const path = first(headers[':path'])
    const raw = flatten(headers)
    const refused = limitsRefusal(this.#limits, path?.length ?? 0, raw)
    // RFC 8441 extended CONNECT (WebSockets); plain CONNECT tunnels are not offered.
    if (method === 'CONNECT' && !refused)
      return handleExtendedConnect(this.#upgradeContext(), stream, headers, raw, reply, start)
    const sni = serverName(stream.session?.socket as TLSSocket | undefined)
    const checked =
      refused ?? checkHttp2Request(first(headers[':authority']), headers.host, path, sni)
    if (isRefusal(checked)) {
      logUnrouted(this.#log, this.#router, reply, {
        method,
        host: first(headers[':authority']) ?? first(headers.host) ?? '',
        path: path ?? '',
        peer: peerOf(stream.session?.socket?.remoteAddress),
        version: '2',
        start,
      })
      return sendText(reply, checked.status, `${checked.message}\n`)
    }
    const cl = headers['content-length']
    this.#serve(reply, {
      host: checked.host,
      rawHost: checked.rawHost,
      path: checked.path,
      method,
      rawHeaders: raw,
      headers: () => headers,
      body: stream.endAfterHeaders ? null : stream,
      contentLength: cl === undefined ? undefined : Number(cl),
      cookie: cookieOf(headers),
      peer: peerOf(stream.session?.socket?.remoteAddress),
      version: '2',
      start,
      continue: undefined,
    })
  }

  refusedHttp1(refusal: RefusedHttp1): void {
    // Nothing of the request could be read: it belongs to no site, and is logged as such.
    const log = this.#log
    if (!log) return
    log(refusedHttp1Entry(refusal, Date.now()))
  }

  upgradeHttp1(req: Http1Request, rest: Buffer): boolean {
    return handleUpgrade(this.#upgradeContext(), req, rest)
  }

  serves(host: string): boolean {
    const name = normalizeHost(host)
    return name !== undefined && this.#router.serves(name)
  }

  update(sites: SiteOptions[]): void {
    const built = buildSites(sites, this.#routes)
    const old = this.#routes
    this.#router = new Router(built.sites)
    this.#routes = built.routes
    for (const [key, state] of old) if (!built.routes.has(key)) void closeRouteState(state)
  }

  async closeTunnels(): Promise<void> {
    const tunnels = [...this.#routes.values()].flatMap((s) => (s.proxy ? [...s.proxy.tunnels] : []))
    for (const tunnel of tunnels) tunnel.close()
    await Promise.all(tunnels.map((tunnel) => tunnel.closed))
  }

  async close(): Promise<void> {
    const states = [...this.#routes.values()]
    this.#routes = new Map()
    this.#router = new Router([])
    await Promise.all(states.map(closeRouteState))
  }

  #upgradeContext(): UpgradeContext {
    return {
      limits: this.#limits,
      router: this.#router,
      trusted: this.#trusted,
      via: this.#via,
      accessLog: this.#log,
    }
  }

  #serve(reply: Reply, x: Incoming): void {
    const match = this.#router.match(x.host, x.path)
    if (!match) {
      logUnrouted(this.#log, this.#router, reply, x)
      return sendText(reply, 404, `no route for ${x.host}\n`)
    }
    const { site, route } = match
    const options = route.options
    let exchange: ProxyExchange | undefined
    if (site.accessLog && this.#log) logOnClose(this.#log, reply, x, () => exchange?.upstream)
    if (x.contentLength !== undefined && x.contentLength > options.maxBodyBytes) {
      // Refused before any upstream is contacted (and, with Expect: 100-continue, before the body).
      reply.lingerBody()
      return sendText(reply, 413, `request body larger than ${options.maxBodyBytes} bytes\n`)
    }
    x.continue?.()
    if (route.proxy) {
      exchange = new ProxyExchange(
        route.proxy,
        {
          method: x.method,
          path: x.path,
          rawHeaders: x.rawHeaders,
          rawHost: x.rawHost,
          body: bodyFor(x, options.maxBodyBytes, this.#limits.bodyTimeoutMs),
          peer: x.peer,
          trusted: this.#trusted(x.peer),
          version: x.version,
          cookie: x.cookie,
        },
        reply,
        this.#via,
      )
      exchange.start()
      return
    }
    reply.ops = route.down
    if (options.kind === 'static')
      serveStatic(reply, { method: x.method, path: x.path, headers: x.headers() }, options).catch(
        () => sendText(reply, 500, 'cannot read the file\n'),
      )
    else if (options.kind === 'redirect') serveRedirect(reply, x.path, options)
    else if (options.kind === 'respond') serveRespond(reply, options)
  }
}

function noop(): void {}

/**
 * What undici gets as the request body: the client's own stream when it can be given away (HTTP/1.1
 * with a known length, which the parser enforces), else a readable of our own (see limited-body.ts).
 */
function bodyFor(x: Incoming, maxBytes: number, stallMs: number): Readable | null {
  if (x.body === null) return null
  if (x.version === '1.1' && x.contentLength !== undefined) return x.body
  const limit = x.contentLength === undefined ? maxBytes : Infinity
  // HTTP/1.1's body timeout is the connection's (http1-connection.ts); HTTP/2's is kept here.
  return limitedBody(x.body, limit, x.version === '2' ? stallMs : undefined)
}
