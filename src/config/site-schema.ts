/**
 * `[[site]]` blocks: the names a site answers (exact and `*.` wildcard, checked as certificate names)
 * and its `[[site.route]]`s. Also the way back to TOML for `gatehouse config`.
 */
import type { SiteOptions } from '../proxy/types.js'
import { formatPath } from './key-path.js'
import { lineOf } from './locate-keys.js'
import { reader } from './read-key.js'
import { parseRoute, routeToToml } from './route-schema.js'
import { bool, hostName, list, show, table, type TomlOut } from './value-types.js'
import type { Where } from './where.js'

const SITE_KEYS = ['hosts', 'access_log', 'route']

/** Parses the `site` array of tables (`where` is at `site`). */
export function parseSites(raw: unknown, where: Where): SiteOptions[] {
  if (raw === undefined) return []
  if (!Array.isArray(raw))
    return where.fail(`${show(raw)} is not an array of tables: write [[site]], not [site]`)
  const owners = new Map<string, number>()
  return raw.map((item, i) => {
    const site = parseSite(item, where.at(i))
    for (const [j, name] of site.hosts.entries()) {
      const first = owners.get(name)
      if (first !== undefined)
        where
          .at(i)
          .at('hosts')
          .at(j)
          .fail(duplicate(name, first, where))
      owners.set(name, i)
    }
    return site
  })
}

function parseSite(raw: unknown, where: Where): SiteOptions {
  const t = table(raw, where, SITE_KEYS)
  if (t.hosts === undefined) where.fail('a site needs `hosts`, e.g. hosts = ["app.example.com"]')
  if (t.route === undefined)
    where.fail(
      'a site needs at least one [[site.route]], e.g. path = "/" and proxy = "127.0.0.1:8080"',
    )
  const read = reader(t, where)
  const hosts = [...new Set(read('hosts', list(hostName, true), []))]
  const accessLog = read('access_log', bool, true)
  const routesWhere = where.at('route')
  if (!Array.isArray(t.route))
    return routesWhere.fail(
      `${show(t.route)} is not an array of tables: write [[site.route]], not [site.route]`,
    )
  const paths = new Set<string>()
  const routes = t.route.map((r, j) => {
    const route = parseRoute(r, routesWhere.at(j))
    if (paths.has(route.path))
      routesWhere.at(j).at('path').fail(`another route of this site already has path ${route.path}`)
    paths.add(route.path)
    return route
  })
  return { hosts, routes, accessLog }
}

function duplicate(name: string, firstSite: number, where: Where): string {
  const lines = where.state.file?.lines
  const line = lines && lineOf(lines, [...where.path, firstSite])
  const at = line === undefined ? '' : ` (line ${line})`
  return `${name} is already a host of ${formatPath([...where.path, firstSite])}${at}; a name belongs to one site`
}

/** A site back in TOML form, every resolved value included. */
export function siteToToml(site: SiteOptions): Record<string, TomlOut> {
  return { hosts: site.hosts, access_log: site.accessLog, route: site.routes.map(routeToToml) }
}
