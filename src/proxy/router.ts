/**
 * Host and path routing: pure, built once per configuration, read on every request.
 *
 * Hosts: an exact name first, then `*.parent` for exactly one label more (`a.example.com` matches
 * `*.example.com`; `a.b.example.com` does not), as certificate wildcards do (RFC 6125 §6.4.3).
 * Paths: the longest route prefix that ends on a segment boundary (`/ws` matches `/ws`, `/ws/x` and
 * `/ws?x`, never `/wsx`).
 */

export interface RoutableSite<R extends { path: string }> {
  readonly hosts: readonly string[]
  readonly routes: readonly R[]
}

export interface RouteMatch<S, R> {
  site: S
  route: R
}

interface CompiledSite<S, R> {
  site: S
  /** Longest prefix first; `/` last. */
  routes: { prefix: string; route: R }[]
}

export class Router<S extends RoutableSite<R>, R extends { path: string }> {
  readonly #exact = new Map<string, CompiledSite<S, R>>()
  readonly #wildcard = new Map<string, CompiledSite<S, R>>()

  constructor(sites: readonly S[]) {
    for (const site of sites) {
      const compiled: CompiledSite<S, R> = {
        site,
        routes: site.routes
          .map((route) => ({ prefix: trimSlash(route.path), route }))
          .sort((a, b) => b.prefix.length - a.prefix.length),
      }
      for (const raw of site.hosts) {
        const host = raw.toLowerCase()
        // The first site naming a host wins; the config layer refuses duplicates with a message.
        const table = host.startsWith('*.') ? this.#wildcard : this.#exact
        const key = host.startsWith('*.') ? host.slice(2) : host
        if (!table.has(key)) table.set(key, compiled)
      }
    }
  }

  /** Whether a site answers `host` (already normalised by {@link normalizeHost}). */
  serves(host: string): boolean {
    return this.#site(host) !== undefined
  }

  /** The site answering `host` (already normalised), whichever path is asked for. */
  siteFor(host: string): S | undefined {
    return this.#site(host)?.site
  }

  /** The site for `host` and its route for `path` (a pathname, or a request-target with a query). */
  match(host: string, path: string): RouteMatch<S, R> | undefined {
    const compiled = this.#site(host)
    if (!compiled) return undefined
    for (const { prefix, route } of compiled.routes) {
      if (prefixMatches(prefix, path)) return { site: compiled.site, route }
    }
    return undefined
  }

  #site(host: string): CompiledSite<S, R> | undefined {
    const exact = this.#exact.get(host)
    if (exact) return exact
    const dot = host.indexOf('.')
    return dot > 0 ? this.#wildcard.get(host.slice(dot + 1)) : undefined
  }
}

/** `/api/` and `/api` are the same prefix; `/` becomes the empty prefix, which matches every path. */
function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path
}

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '') return true
  if (!path.startsWith(prefix)) return false
  if (path.length === prefix.length) return true
  const next = path.charCodeAt(prefix.length)
  return next === 0x2f /* / */ || next === 0x3f /* ? */
}

/**
 * The host a request names, for routing and the SNI check: lower case, port removed, one trailing dot
 * removed, IPv6 brackets kept off. Undefined when the value is not a plausible host (RFC 3986 §3.2.2
 * reg-name or IP literal, RFC 9110 §7.2), so the caller answers 400.
 */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > 262) return undefined
  let host: string
  if (raw.charCodeAt(0) === 0x5b /* [ */) {
    const close = raw.indexOf(']')
    if (close < 0 || !validPort(raw, close + 1)) return undefined
    host = raw.slice(1, close).toLowerCase()
    return /^[0-9a-f:.]+$/.test(host) ? host : undefined
  }
  const colon = raw.indexOf(':')
  if (colon >= 0 && !validPort(raw, colon)) return undefined
  host = (colon >= 0 ? raw.slice(0, colon) : raw).toLowerCase()
  if (host.endsWith('.')) host = host.slice(0, -1)
  return HOST_CHARS.test(host) ? host : undefined
}

// Letters, digits, hyphen, dot, underscore (seen in real internal names); nothing that could split a
// header or a path. Empty labels (`a..b`) are refused too.
const HOST_CHARS = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/

/** `raw[at]` is `:` followed by 1-5 digits to the end, or `at` is the end. */
function validPort(raw: string, at: number): boolean {
  if (at === raw.length) return true
  if (raw.charCodeAt(at) !== 0x3a /* : */) return false
  const port = raw.slice(at + 1)
  return /^\d{1,5}$/.test(port) && Number(port) <= 65535
}
