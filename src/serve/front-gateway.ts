import type { IncomingMessage, ServerResponse } from 'node:http'
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { Reply } from '../proxy/reply.js'
import type { Gateway, Http1Request, SiteOptions } from '../proxy/types.js'

const HEALTH_BODY = '{"status":"ok"}\n'

/**
 * What the HTTPS server talks to in `gatehouse serve`: answers the health endpoint on any host
 * before routing, counts requests in flight (what a drain waits for), and hands everything else to
 * the current inner gateway, which a reload may replace (the built-in status page gives way to the
 * proxy when sites appear, and back).
 */
export class FrontGateway implements Gateway {
  #inner: Gateway
  #healthPath: string
  #inFlight = 0

  constructor(inner: Gateway, options: { healthPath: string }) {
    this.#inner = inner
    this.#healthPath = options.healthPath
  }

  get inner(): Gateway {
    return this.#inner
  }

  /** Requests and HTTP/2 streams not yet answered in full (upgraded tunnels are not counted). */
  get inFlight(): number {
    return this.#inFlight
  }

  replace(inner: Gateway): void {
    this.#inner = inner
  }

  set healthPath(path: string) {
    this.#healthPath = path
  }

  serveHttp1(req: Http1Request, reply: Reply): void {
    this.#inFlight++
    reply.onClose(() => this.#inFlight--)
    const { method, target } = req.head
    if (this.#isHealth(target, method)) {
      reply.head(200, [
        'content-type',
        'application/json',
        'content-length',
        String(HEALTH_BODY.length),
        'cache-control',
        'no-store',
      ])
      reply.end(method === 'HEAD' ? undefined : HEALTH_BODY)
      return
    }
    this.#inner.serveHttp1(req, reply)
  }

  /**
   * Answers a GET or HEAD of the health path (any host, any query) and returns true; false for any
   * other request. Also what the plain-HTTP listener asks before redirecting.
   */
  answerHealth(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.#isHealth(req.url, req.method)) return false
    res
      .writeHead(200, {
        'content-type': 'application/json',
        'content-length': HEALTH_BODY.length,
        'cache-control': 'no-store',
      })
      .end(req.method === 'HEAD' ? undefined : HEALTH_BODY)
    return true
  }

  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    this.#inFlight++
    stream.once('close', () => this.#inFlight--)
    const method = headers[':method']
    if (this.#isHealth(headers[':path'], method)) {
      stream.respond({
        ':status': 200,
        'content-type': 'application/json',
        'content-length': HEALTH_BODY.length,
        'cache-control': 'no-store',
      })
      stream.end(method === 'HEAD' ? undefined : HEALTH_BODY)
      return
    }
    this.#inner.handleStream(stream, headers)
  }

  upgradeHttp1(req: Http1Request, rest: Buffer): boolean {
    return this.#inner.upgradeHttp1(req, rest)
  }

  serves(host: string): boolean {
    return this.#inner.serves(host)
  }

  update(sites: SiteOptions[]): void {
    this.#inner.update(sites)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }

  closeTunnels(): Promise<void> {
    return this.#inner.closeTunnels?.() ?? Promise.resolve()
  }

  #isHealth(url: string | undefined, method: string | undefined): boolean {
    if (method !== 'GET' && method !== 'HEAD') return false
    if (url === undefined) return false
    const q = url.indexOf('?')
    return (q === -1 ? url : url.slice(0, q)) === this.#healthPath
  }
}
