import type { Dispatcher } from 'undici'
import { systemClock, type Clock } from '../clock.js'
import { silentLogger, type Logger } from '../logger.js'
import { runHealthChecks } from './active-health-check.js'
import {
  hash32,
  pickLeastConn,
  pickRandomTwo,
  pickRendezvous,
  pickRoundRobin,
} from './load-balancing.js'
import { readCookie, stickyCookie } from './sticky-cookie.js'
import { UpstreamServer } from './upstream-server.js'
import type { ProxyRoute } from './types.js'

export { isConnectFailure } from './connect-failure.js'

/** One upstream server of a route. */
export interface Upstream {
  /** `http://127.0.0.1:8080` form, used in logs and error bodies ("upstream 127.0.0.1:8080 ..."). */
  readonly label: string
  /** Origin plus optional base path. */
  readonly url: URL
  /** undici Pool kept alive for this upstream (TLS options applied for https upstreams). */
  readonly dispatcher: Dispatcher
  /** Requests in flight (for least_conn). */
  readonly active: number
  readonly healthy: boolean
}

export interface PickContext {
  clientIp: string
  /** The request's Cookie header, for `cookie` stickiness. */
  cookie?: string | undefined
  /** Upstreams already tried for this request (retries pick another). */
  exclude?: ReadonlySet<Upstream> | undefined
  /** The request came over TLS: a sticky cookie set for it is marked `Secure`. Default false. */
  secure?: boolean
}

export interface Pick {
  upstream: Upstream
  /** A Set-Cookie value to add to the response (cookie stickiness, first visit), else undefined. */
  setCookie?: string
}

export interface UpstreamGroupOptions {
  /** Time for passive ejection and active check scheduling. Default: the wall clock. */
  clock?: Clock
  /** Health changes are logged here (warn when an upstream goes out, info when it is back, debug per check). */
  logger?: Logger
  /** Source of randomness for `random_two`, in [0, 1). Default `Math.random`. */
  random?: () => number
}

/**
 * The upstreams of one proxy route: a keep-alive pool per upstream, the route's load-balancing policy,
 * passive health (ejection after failures) and optional active health checks.
 */
export class UpstreamGroup {
  readonly #route: ProxyRoute
  readonly #upstreams: readonly UpstreamServer[]
  readonly #byStickyId: ReadonlyMap<string, UpstreamServer>
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #random: () => number
  readonly #checks = new AbortController()
  #turn = 0
  #started = false

  constructor(route: ProxyRoute, options: UpstreamGroupOptions = {}) {
    if (route.upstreams.length === 0) {
      throw new TypeError(`route ${route.path} has no upstream; give at least one`)
    }
    this.#route = route
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#random = options.random ?? Math.random
    this.#upstreams = route.upstreams.map((u) => new UpstreamServer(u.url, route, this.#clock))
    this.#byStickyId = new Map(this.#upstreams.map((u) => [u.stickyId, u]))
  }

  /** The upstreams, in configuration order. */
  get upstreams(): readonly Upstream[] {
    return this.#upstreams
  }

  /** Undefined when every upstream is ejected/unhealthy (the proxy answers 502 "no healthy upstream"). */
  pick(ctx: PickContext): Pick | undefined {
    const candidates = this.#candidates(ctx.exclude)
    if (candidates.length === 0) return undefined
    const turn = this.#turn++
    if (this.#turn >= Number.MAX_SAFE_INTEGER) this.#turn = 0
    switch (this.#route.loadBalancing) {
      case 'round_robin':
        return wrap(pickRoundRobin(candidates, turn))
      case 'least_conn':
        return wrap(pickLeastConn(candidates, turn))
      case 'random_two':
        return wrap(pickRandomTwo(candidates, this.#random))
      case 'ip_hash':
        return wrap(pickRendezvous(candidates, hash32(ctx.clientIp), (u) => u.idHash))
      case 'cookie':
        return this.#pickSticky(candidates, turn, ctx)
    }
  }

  /** Call when a request to `upstream` starts and ends (least_conn counts). */
  begin(upstream: Upstream): void {
    this.#own(upstream)?.begin()
  }

  end(upstream: Upstream): void {
    this.#own(upstream)?.end()
  }

  /** Passive health: a connection failure or a response timeout (upstream-attempts.ts decides). */
  reportFailure(upstream: Upstream, err: unknown): void {
    const server = this.#own(upstream)
    if (server === undefined) return
    const now = this.#clock.now()
    if (!server.passive.fail(now)) return
    this.#logger.warn('upstream ejected', {
      upstream: server.label,
      route: this.#route.path,
      failures: this.#route.passiveHealth.maxFails,
      until: new Date(server.passive.ejectedUntil(now) ?? now).toISOString(),
      error: err,
    })
  }

  /** Passive health: a request got an answer that was not a failure. */
  reportSuccess(upstream: Upstream): void {
    this.#own(upstream)?.passive.succeed()
  }

  /** Start active health checks (if configured). Calling it again does nothing. */
  start(): void {
    const check = this.#route.healthCheck
    if (check === undefined || this.#started || this.#checks.signal.aborted) return
    this.#started = true
    for (const server of this.#upstreams) {
      void runHealthChecks(server, check, this.#clock, this.#checks.signal, (failure) =>
        this.#onCheck(server, failure),
      )
    }
  }

  /** Stop checks, close pools (requests in flight finish first). */
  async close(): Promise<void> {
    this.#checks.abort()
    await Promise.all(this.#upstreams.map((u) => u.dispatcher.close()))
  }

  /** The upstreams that may take a request now; the shared array when all may (no allocation). */
  #candidates(exclude: ReadonlySet<Upstream> | undefined): readonly UpstreamServer[] {
    const now = this.#clock.now()
    const all = this.#upstreams
    // Every request asks: the usual answer (all of them) without a closure or a new array.
    let allUsable = exclude === undefined || exclude.size === 0
    for (let i = 0; allUsable && i < all.length; i++)
      allUsable = (all[i] as UpstreamServer).isAvailable(now)
    if (allUsable) return all
    return all.filter((u) => u.isAvailable(now) && !exclude?.has(u))
  }

  #pickSticky(candidates: readonly UpstreamServer[], turn: number, ctx: PickContext): Pick {
    const name = this.#route.stickyCookie
    const pinned = this.#byStickyId.get(readCookie(ctx.cookie, name) ?? '')
    if (pinned !== undefined && candidates.includes(pinned)) return { upstream: pinned }
    // First visit, or the pinned upstream is gone, out or already tried: pick another, pin to it.
    const upstream = pickRoundRobin(candidates, turn) as UpstreamServer
    const setCookie = stickyCookie(name, upstream.stickyId, this.#route.path, ctx.secure ?? false)
    return { upstream, setCookie }
  }

  #onCheck(server: UpstreamServer, failure: string | undefined): void {
    const fields = { upstream: server.label, route: this.#route.path }
    this.#logger.debug('upstream checked', { ...fields, ok: failure === undefined })
    if (!server.setCheckResult(failure)) return
    if (failure === undefined) this.#logger.info('upstream healthy', fields)
    else this.#logger.warn('upstream unhealthy', { ...fields, reason: failure })
  }

  #own(upstream: Upstream): UpstreamServer | undefined {
    return upstream instanceof UpstreamServer && this.#upstreams.includes(upstream)
      ? upstream
      : undefined
  }
}

function wrap(upstream: UpstreamServer | undefined): Pick | undefined {
  return upstream === undefined ? undefined : { upstream }
}
