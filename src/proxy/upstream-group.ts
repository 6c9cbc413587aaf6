/**
 * STAND-IN (branch wt-proxy): the upstreams of one proxy route, with the interface agreed in
 * notes/upstream-interface.md. Round robin only, one undici Pool per upstream, no health checks. The
 * full version (load-balancing policies, passive and active health, https upstreams) comes from
 * branch wt-upstreams and replaces this file at merge.
 */
import { Pool, type Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import type { ProxyRoute } from './types.js'

/** One upstream server of a route. */
export interface Upstream {
  /** `http://127.0.0.1:8080` form, used in logs and error bodies. */
  readonly label: string
  readonly url: URL
  /** undici Pool kept alive for this upstream. */
  readonly dispatcher: Dispatcher
  /** Requests in flight (for least_conn). */
  readonly active: number
  readonly healthy: boolean
}

export interface PickContext {
  clientIp: string
  /** The request's Cookie header, for `cookie` stickiness. */
  cookie?: string
  /** Upstreams already tried for this request (retries pick another). */
  exclude?: ReadonlySet<Upstream>
}

export interface Pick {
  upstream: Upstream
  /** A Set-Cookie value to add to the response (cookie stickiness, first visit), else undefined. */
  setCookie?: string
}

class PooledUpstream implements Upstream {
  readonly label: string
  readonly url: URL
  readonly dispatcher: Pool
  active = 0
  healthy = true

  constructor(url: URL, route: ProxyRoute) {
    this.url = url
    this.label = url.origin
    this.dispatcher = new Pool(url.origin, {
      connect: { timeout: route.connectTimeoutMs },
      headersTimeout: route.responseTimeoutMs,
      // A response body may pause for as long as the client reads slowly; no body timeout.
      bodyTimeout: 0,
      pipelining: 1,
    })
  }
}

export class UpstreamGroup {
  readonly #upstreams: PooledUpstream[]
  #next = 0

  constructor(route: ProxyRoute, _options?: { clock?: Clock }) {
    this.#upstreams = route.upstreams.map((u) => new PooledUpstream(new URL(u.url), route))
  }

  /** Undefined when every upstream is excluded (the proxy answers 502 "no healthy upstream"). */
  pick(ctx: PickContext): Pick | undefined {
    const n = this.#upstreams.length
    for (let i = 0; i < n; i++) {
      const upstream = this.#upstreams[(this.#next + i) % n] as PooledUpstream
      if (ctx.exclude?.has(upstream)) continue
      this.#next = (this.#next + i + 1) % n
      return { upstream }
    }
    return undefined
  }

  begin(upstream: Upstream): void {
    ;(upstream as PooledUpstream).active++
  }

  end(upstream: Upstream): void {
    ;(upstream as PooledUpstream).active--
  }

  reportFailure(_upstream: Upstream, _err: unknown): void {}

  reportSuccess(_upstream: Upstream): void {}

  start(): void {}

  async close(): Promise<void> {
    await Promise.all(this.#upstreams.map((u) => u.dispatcher.close()))
  }
}

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** True for errors that mean the request never reached the upstream (safe to retry an idempotent request). */
export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && CONNECT_FAILURES.has(code)
}
