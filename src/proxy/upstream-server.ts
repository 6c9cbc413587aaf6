import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import { hash32 } from './load-balancing.js'
import { PassiveHealth } from './passive-health.js'
import { stickyId } from './sticky-cookie.js'
import { createUpstreamDispatcher } from './upstream-dispatcher.js'
import type { Upstream } from './upstream-group.js'
import { createUpstreamTls, type UpstreamTls } from './upstream-tls.js'
import type { ProxyRoute } from './types.js'

/** One upstream of a group, with its pool, load and health. */
export class UpstreamServer implements Upstream {
  readonly label: string
  readonly url: URL
  readonly dispatcher: Dispatcher
  /** Undefined for `http:` upstreams. Shared with WebSocket tunnels to this upstream. */
  readonly tls: UpstreamTls | undefined
  /** The opaque id in sticky cookies. */
  readonly stickyId: string
  /** Hash of the label, for rendezvous hashing. */
  readonly idHash: number
  readonly passive: PassiveHealth
  readonly #clock: Clock
  #active = 0
  #checkFailure: string | undefined

  constructor(rawUrl: string, route: ProxyRoute, clock: Clock) {
    this.url = parseUpstreamUrl(rawUrl)
    this.label = this.url.origin
    this.tls = createUpstreamTls(this.url, route.upstreamTls)
    this.dispatcher = createUpstreamDispatcher(this.url, this.tls, route)
    this.stickyId = stickyId(this.label)
    this.idHash = hash32(this.label)
    this.passive = new PassiveHealth(route.passiveHealth)
    this.#clock = clock
  }

  get active(): number {
    return this.#active
  }

  get healthy(): boolean {
    return this.isAvailable(this.#clock.now())
  }

  /** Healthy at `now`: the last active check (if any) passed and passive health has not ejected it. */
  isAvailable(now: number): boolean {
    return this.#checkFailure === undefined && !this.passive.isEjected(now)
  }

  /** Why the last active check failed, undefined when it passed. */
  get checkFailure(): string | undefined {
    return this.#checkFailure
  }

  /** Records an active check's result; returns true when the health changed. */
  setCheckResult(failure: string | undefined): boolean {
    const changed = (failure === undefined) !== (this.#checkFailure === undefined)
    this.#checkFailure = failure
    return changed
  }

  begin(): void {
    this.#active++
  }

  end(): void {
    if (this.#active > 0) this.#active--
  }
}

/** `http(s)://host[:port][/base]`, nothing else: no credentials, query or fragment. */
function parseUpstreamUrl(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new TypeError(
      `upstream "${raw}" is not a URL; write it as http://host:port or https://host:port`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`upstream "${raw}" has scheme ${url.protocol}; use http:// or https://`)
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`upstream "${raw}" may not hold credentials, a query or a fragment`)
  }
  return url
}
