import type { ProxyRoute } from './types.js'

/** Default request body limit of every route kind (`max_body`), bytes: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

/**
 * A proxy route to `upstreams` with the defaults `ProxyRoute` documents (and `gatehouse.toml`
 * applies), then `overrides`. The one place those defaults are written: the configuration reads
 * its fallbacks here, and tests and benches build their routes with it. Fresh objects every call.
 */
export function proxyRouteTo(upstreams: string[], overrides: Partial<ProxyRoute> = {}): ProxyRoute {
  return {
    kind: 'proxy',
    path: '/',
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    headersUp: { set: {}, remove: [] },
    headersDown: { set: {}, remove: [] },
    upstreams: upstreams.map((url) => ({ url })),
    loadBalancing: 'round_robin',
    stickyCookie: 'gatehouse_upstream',
    passiveHealth: { maxFails: 3, failWindowMs: 10_000, ejectMs: 30_000 },
    retries: 1,
    connectTimeoutMs: 5_000,
    responseTimeoutMs: 60_000,
    websocketIdleTimeoutMs: 86_400_000,
    upstreamTls: { verify: true },
    preserveHost: true,
    ...overrides,
  }
}
