import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http'
import { createSecureServer, type Http2SecureServer } from 'node:http2'
import { Server as NetServer, type Socket } from 'node:net'
import type { SecureContext, TLSSocket } from 'node:tls'
import { GatehouseError } from '../errors.js'
import { Http01Responder } from '../issuance/http-01-responder.js'
import { closeServer, listen } from '../issuance/listener.js'
import { ACME_TLS_ALPN, TlsAlpnResponder } from '../issuance/tls-alpn-01-responder.js'
import { ConnectionTracker } from './connection-tracker.js'
import { httpsRedirectTarget } from './redirect.js'
import { TICKET_SESSION_ID_CONTEXT } from './ticket-keys.js'
import { TLS_PROFILE } from '../tls/tls-profile.js'
import type { Gateway } from '../proxy/types.js'
import {
  attachGateway,
  serveHttp1,
  DEFAULT_GATEWAY_LIMITS,
  gatewayServerOptions,
} from './gateway-listeners.js'
import { listeningIps, localIpName, startContextByLocalAddress } from './local-address-context.js'
import { selectContext } from './select-context.js'
import type { HttpsServerOptions, ListenerOptions, RequestHandler } from './https-server-options.js'
import { withHsts } from './with-hsts.js'

function isGateway(app: RequestHandler | Gateway): app is Gateway {
  return typeof app === 'object' && typeof app.handleStream === 'function'
}

/**
 * HTTPS (HTTP/2 with HTTP/1.1 fallback) plus the HTTP listener that answers HTTP-01 and redirects to
 * HTTPS. TLS-ALPN-01 is answered on the HTTPS port itself.
 */
export class HttpsServer {
  readonly http01: Http01Responder
  readonly tlsAlpn: TlsAlpnResponder
  readonly #options: HttpsServerOptions
  readonly #https: Http2SecureServer
  readonly #http: HttpServer
  #httpsPort: number | undefined
  #httpPort: number | undefined
  // The SNI name whose ClientHello offered acme-tls/1 and has a pending challenge. Node 20 calls the
  // ALPN callback and then the SNI callback for the same ClientHello with no other JavaScript in
  // between (test/integration/server.test.ts pins this order), so one slot is enough.
  #acmeTlsName: string | undefined
  #unsubscribeTicketKeys: (() => void) | undefined
  #ticketKeys: Buffer | undefined
  /** The ticket keys last set on each context a connection started with (see #startContext). */
  readonly #keyedContexts = new WeakMap<SecureContext, Buffer>()
  /** Raw `socket.localAddress` to its certificate name: a server has a handful of local addresses. */
  readonly #localIps = new Map<string, string | undefined>()
  readonly #connections = new ConnectionTracker()

  constructor(options: HttpsServerOptions, app: RequestHandler | Gateway) {
    const gateway = isGateway(app) ? app : undefined
    if (gateway && options.hsts) {
      throw new TypeError(
        "hsts is not applied to a Gateway; set strict-transport-security in the routes' headersDown",
      )
    }
    const limits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits }
    this.#options = {
      ...options,
      ...(gateway && !options.redirects
        ? { redirects: (host: string) => gateway.serves(host) }
        : {}),
    }
    const store = options.challengeStore ? { store: options.challengeStore } : {}
    this.http01 = options.http01 ?? new Http01Responder(store)
    this.tlsAlpn = options.tlsAlpn ?? new TlsAlpnResponder(store)
    this.#https = createSecureServer(
      {
        ...TLS_PROFILE,
        ...(options.defaultCertificate
          ? {
              cert: options.defaultCertificate.certificatePem,
              key: options.defaultCertificate.privateKeyPem,
            }
          : {}),
        // With a gateway, HTTP/1.1 is served by our own server ('unknownProtocol' below).
        allowHTTP1: gateway === undefined,
        ...(options.ticketKeys ? { sessionIdContext: TICKET_SESSION_ID_CONTEXT } : {}),
        ALPNCallback: ({ servername, protocols }) => this.#selectAlpn(servername, protocols),
        SNICallback: (servername, done) => this.#selectContext(servername, done),
        ...(gateway ? gatewayServerOptions(limits) : {}),
      },
      gateway ? undefined : withHsts(app as RequestHandler, options.hsts),
    )
    if (gateway) attachGateway(this.#https, gateway, limits)
    this.#https.on('unknownProtocol', (socket: TLSSocket) => {
      // An acme-tls/1 connection carries no HTTP: the validator only reads the certificate.
      if (!gateway || socket.alpnProtocol === ACME_TLS_ALPN) socket.destroy()
      else this.#connections.trackHttp1(serveHttp1(socket, gateway, limits), socket)
    })
    this.#https.on('tlsClientError', () => {})
    this.#http = createHttpServer((req, res) => this.#handleHttp(req, res))
    this.#unsubscribeTicketKeys = options.ticketKeys?.subscribe((keys) => {
      this.#ticketKeys = keys
      this.#https.setTicketKeys(keys)
    })
    startContextByLocalAddress(this.#https, (socket) => this.#startContext(socket))
    this.#connections.track(this.#https)
    this.#connections.track(this.#http)
  }

  /** The bound HTTPS port, once listening (undefined when disabled). */
  get httpsPort(): number | undefined {
    return this.#httpsPort
  }

  /** The bound HTTP port, once listening (undefined when disabled). */
  get httpPort(): number | undefined {
    return this.#httpPort
  }

  async listen(): Promise<void> {
    const https = { host: '0.0.0.0', port: 443, ...this.#options.https }
    const http = { host: '0.0.0.0', port: 80, ...this.#options.http }
    checkPort(https.port, 'https.port')
    checkPort(http.port, 'http.port')
    if (https.port !== -1) {
      this.#httpsPort = await listen(this.#https, https.host, https.port, 'HTTPS')
      await this.#loadLocalIpCertificates()
    }
    try {
      if (http.port !== -1) this.#httpPort = await listen(this.#http, http.host, http.port, 'HTTP')
    } catch (err) {
      await closeServer(this.#https)
      throw err
    }
  }

  /**
   * Graceful stop: stop accepting, GOAWAY, close idle keep-alives, wait while `busy()` (requests in
   * flight) up to `timeoutMs`, then close every connection left. Call `close()` afterwards.
   */
  drain(timeoutMs: number, busy: () => boolean): Promise<boolean> {
    return this.#connections.drain(timeoutMs, busy)
  }

  /**
   * Moves one listener to another address (a reload changed its port) without touching open
   * connections: they stay on the same server object. `port: -1` stops that listener.
   */
  async relisten(which: 'https' | 'http', listener: ListenerOptions): Promise<void> {
    const server = which === 'https' ? this.#https : this.#http
    const host = listener.host ?? '0.0.0.0'
    const port = listener.port ?? (which === 'https' ? 443 : 80)
    checkPort(port, `${which}.port`)
    // net.Server's own close only stops accepting; http's and http2's also close idle keep-alives
    // and sessions, which a reload must not do.
    if (server.listening) NetServer.prototype.close.call(server)
    const bound = port === -1 ? undefined : await listen(server, host, port, which.toUpperCase())
    if (which === 'https') this.#httpsPort = bound
    else this.#httpPort = bound
    if (which === 'https' && bound !== undefined) await this.#loadLocalIpCertificates()
  }

  /** Stops at once: listeners closed, every connection and HTTP/2 session destroyed (use drain() first
   * for a graceful stop). Waiting for idle HTTP/2 sessions here would hold close() for their idle timeout. */
  async close(): Promise<void> {
    this.#unsubscribeTicketKeys?.()
    const closing = Promise.all([closeServer(this.#https), closeServer(this.#http)])
    this.#connections.destroyAll()
    await closing
  }

  /**
   * The context a connection starts with (what a client without SNI gets): the certificate for the
   * local IP address it arrived on, if one is served and loaded; else undefined, the default. Runs
   * for every connection before its ClientHello is read, so it is memory only: one hash lookup.
   */
  #startContext(socket: Socket): SecureContext | undefined {
    if (this.#options.cache.mayServeIps === false) return undefined
    const raw = socket.localAddress
    if (raw === undefined) return undefined
    let ip = this.#localIps.get(raw)
    if (ip === undefined && !this.#localIps.has(raw)) {
      ip = localIpName(raw)
      if (this.#localIps.size < 256) this.#localIps.set(raw, ip)
    }
    if (ip === undefined) return undefined
    const cache = this.#options.cache
    let context: SecureContext | undefined
    try {
      context = cache.contextFor(ip)
    } catch {
      return undefined // an entry that cannot be loaded: the default, as for an SNI name
    }
    if (context === undefined) {
      // Not read yet (a folder file): this connection gets the default, later ones the file.
      void cache.pendingFor?.(ip)
      return undefined
    }
    // The first context holds the session tickets' keys (OpenSSL's session_ctx): give it the ring's.
    const keys = this.#ticketKeys
    if (keys !== undefined && this.#keyedContexts.get(context) !== keys) {
      ;(context.context as { setTicketKeys(keys: Buffer): void }).setTicketKeys(keys)
      this.#keyedContexts.set(context, keys)
    }
    return context
  }

  /**
   * Reads the certificates for the addresses the HTTPS listener accepts on, if they are pending (a
   * folder file), so that the first client without SNI gets its address's certificate already.
   */
  async #loadLocalIpCertificates(): Promise<void> {
    const cache = this.#options.cache
    const bound = this.#https.address()
    if (bound === null || typeof bound === 'string') return
    const loads: Promise<void>[] = []
    for (const ip of listeningIps(bound.address)) {
      const loading = cache.pendingFor?.(ip)
      if (loading) loads.push(loading)
    }
    await Promise.all(loads)
  }

  #selectAlpn(servername: string | undefined, protocols: string[]): string | undefined {
    this.#acmeTlsName = undefined
    // With a shared store the answer may be another process's: the SNI callback (async) finds it.
    const pending = servername && (this.tlsAlpn.shared || this.tlsAlpn.contextFor(servername))
    if (protocols.includes(ACME_TLS_ALPN) && pending) {
      this.#acmeTlsName = servername
      return ACME_TLS_ALPN
    }
    if (this.#options.http2 !== false && protocols.includes('h2')) return 'h2'
    if (protocols.includes('http/1.1')) return 'http/1.1'
    return undefined
  }

  #selectContext(servername: string, done: (err: Error | null, ctx?: SecureContext) => void): void {
    if (this.#acmeTlsName !== undefined && this.#acmeTlsName === servername) {
      this.#acmeTlsName = undefined
      // Only validators offer acme-tls/1 (RFC 8737 §4): no answer anywhere fails the handshake.
      return void this.tlsAlpn.sharedContextFor(servername).then(
        (ctx) => done(ctx ? null : new Error(`no acme-tls/1 answer for ${servername}`), ctx),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      )
    }
    selectContext(this.#options, servername, done)
  }

  #handleHttp(req: IncomingMessage, res: ServerResponse): void {
    if (this.http01.handle(req, res)) return
    if (this.#options.httpFirst?.(req, res)) return
    const cache = this.#options.cache
    const serves =
      this.#options.redirects ??
      ((host: string) => cache.lookup(host) !== undefined || cache.pendingFor?.(host) !== undefined)
    const target = httpsRedirectTarget(req.headers.host, req.url, this.#httpsPort ?? 443, serves)
    if (!target || this.#httpsPort === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    // 301 is what every client follows for GET/HEAD; 308 keeps the method and body for the rest.
    const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308
    res
      .writeHead(status, { location: target, 'content-type': 'text/plain', connection: 'close' })
      .end(`${target}\n`)
  }
}

function checkPort(port: number, name: string): void {
  if (!Number.isInteger(port) || port < -1 || port > 65535) {
    throw new GatehouseError(
      'ERR_CONFIG',
      `${name} is ${port}; use 1-65535, 0 for any free port, or -1 to disable`,
    )
  }
}
