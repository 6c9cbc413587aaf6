/**
 * The live state behind a configuration's sites: compiled header operations and, for proxy routes,
 * the upstream group (pools, health) and open WebSocket tunnels. Built on every `update()`; a route
 * whose options did not change keeps its state, so its pools and tunnels survive a reload.
 */
import { compileHeaderOps, type CompiledHeaderOps } from './forward-headers.js'
import { checkHeaderOps } from './header-ops-check.js'
import type { ProxyRouteState } from './proxy-exchange.js'
import type { ProxyRoute, RouteOptions, SiteOptions } from './types.js'
import { UpstreamGroup } from './upstream-group.js'

export interface Tunnel {
  close(): void
  readonly closed: Promise<void>
}

export interface RouteState {
  /** For the router. */
  readonly path: string
  readonly options: RouteOptions
  readonly up: CompiledHeaderOps
  readonly down: CompiledHeaderOps
  /** Proxy routes only. */
  readonly proxy: (ProxyRouteState & { readonly tunnels: Set<Tunnel> }) | undefined
}

export interface SiteState {
  readonly hosts: readonly string[]
  readonly routes: readonly RouteState[]
  readonly accessLog: boolean
}

/**
 * States for `sites`, reusing those in `previous` whose route options are identical. Returns the new
 * sites and the map to keep; states of `previous` not in it are for the caller to close. When a
 * route cannot be built (a bad upstream URL or header rule: a TypeError naming the route), what was
 * created is closed and the error thrown.
 */
export function buildSites(
  sites: readonly SiteOptions[],
  previous: ReadonlyMap<string, RouteState>,
): { sites: SiteState[]; routes: Map<string, RouteState> } {
  const routes = new Map<string, RouteState>()
  try {
    const built = sites.map((site) => ({
      hosts: site.hosts,
      accessLog: site.accessLog,
      routes: site.routes.map((options) => {
        const key = JSON.stringify(options)
        let state = routes.get(key) ?? previous.get(key)
        if (!state) state = createRouteState(options, routeName(site, options))
        routes.set(key, state)
        return state
      }),
    }))
    return { sites: built, routes }
  } catch (err) {
    for (const [key, state] of routes) if (!previous.has(key)) void closeRouteState(state)
    throw err
  }
}

/** `route /ws of app.test`: a route as errors name it (its site by the first of its hosts). */
function routeName(site: SiteOptions, route: RouteOptions): string {
  const host = site.hosts[0]
  return host === undefined ? `route ${route.path}` : `route ${route.path} of ${host}`
}

/** `where` names the route in errors. Header rules are checked here, for every entry point. */
function createRouteState(options: RouteOptions, where: string): RouteState {
  checkHeaderOps(options.headersUp, 'headersUp', where)
  checkHeaderOps(options.headersDown, 'headersDown', where)
  const up = compileHeaderOps(options.headersUp)
  const down = compileHeaderOps(options.headersDown)
  const proxy =
    options.kind === 'proxy'
      ? { options, group: createGroup(options), up, down, tunnels: new Set<Tunnel>() }
      : undefined
  return { path: options.path, options, up, down, proxy }
}

function createGroup(route: ProxyRoute): UpstreamGroup {
  const group = new UpstreamGroup(route)
  group.start()
  return group
}

/** Closes tunnels, stops health checks and closes pools. */
export async function closeRouteState(state: RouteState): Promise<void> {
  if (!state.proxy) return
  const tunnels = [...state.proxy.tunnels]
  for (const t of tunnels) t.close()
  await Promise.all([state.proxy.group.close(), ...tunnels.map((t) => t.closed)])
}
