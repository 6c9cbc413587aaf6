/**
 * One `[[site.route]]`: a path prefix and exactly one of `proxy`, `static`, `redirect` or `respond`,
 * with every default filled in. Also the way back to TOML for `gatehouse config`.
 */
import type {
  RedirectRoute,
  RespondRoute,
  RouteBase,
  RouteOptions,
  StaticRoute,
} from '../proxy/types.js'
import { formatHeaderOps, parseHeaderOps } from './header-ops.js'
import { formatSize } from './size.js'
import { PROXY_KEYS, proxyRoute, proxyToToml } from './proxy-route.js'
import { reader, type Read } from './read-key.js'
import {
  int,
  list,
  path,
  show,
  size,
  table,
  text,
  urlPath,
  type TomlOut,
  type ValueType,
} from './value-types.js'
import type { Where } from './where.js'
import { DEFAULT_MAX_BODY_BYTES } from '../proxy/proxy-route-defaults.js'

const KINDS = ['proxy', 'static', 'redirect', 'respond'] as const
type Kind = (typeof KINDS)[number]

const COMMON = ['path', 'max_body', 'header_up', 'header_down']
const KEYS: Record<Kind, readonly string[]> = {
  proxy: PROXY_KEYS,
  static: ['static', 'index'],
  redirect: ['redirect', 'status'],
  respond: ['respond', 'status', 'content_type'],
}
const ALL_KEYS = [...new Set([...COMMON, ...Object.values(KEYS).flat()])]

/** Default request body limit: 10 MiB. */
/** Default `max_body` (see src/proxy/proxy-route-defaults.ts). */
export const DEFAULT_MAX_BODY = DEFAULT_MAX_BODY_BYTES

/** Parses one route table. */
export function parseRoute(raw: unknown, where: Where): RouteOptions {
  const t = table(raw, where, ALL_KEYS)
  const kinds = KINDS.filter((k) => t[k] !== undefined)
  const [kind] = kinds
  if (kind === undefined)
    return where.fail(`a route needs one of ${KINDS.map((k) => `\`${k}\``).join(', ')}`)
  if (kinds.length > 1)
    where.fail(
      `a route has exactly one of ${kinds.map((k) => `\`${k}\``).join(' and ')}: split it into two routes`,
    )
  for (const key of Object.keys(t)) {
    if (!COMMON.includes(key) && !KEYS[kind].includes(key))
      where
        .at(key)
        .fail(
          `applies to ${KEYS[KINDS.find((k) => KEYS[k].includes(key)) ?? kind][0]} routes only; this is a ${kind} route`,
        )
  }
  const read = reader(t, where)
  const base: RouteBase = {
    path: read('path', urlPath, '/'),
    maxBodyBytes: read('max_body', size, DEFAULT_MAX_BODY),
    headersUp: read('header_up', headerOps, { set: {}, remove: [] }),
    headersDown: read('header_down', headerOps, { set: {}, remove: [] }),
  }
  switch (kind) {
    case 'proxy':
      return proxyRoute(base, t, read, where)
    case 'static':
      return staticRoute(base, read)
    case 'redirect':
      return redirectRoute(base, read)
    case 'respond':
      return respondRoute(base, read)
  }
}

const headerOps: ValueType<RouteBase['headersUp']> = {
  hint: '{ set = { Name = "value" }, remove = ["Name"] } or ["+Name value", "-Name"]',
  parse: parseHeaderOps,
  format: (v) => formatHeaderOps(v),
}

function staticRoute(base: RouteBase, read: Read): StaticRoute {
  const fileName: ValueType<string> = {
    hint: 'a file name',
    parse(raw, where) {
      const s = text.parse(raw, where)
      if (s.includes('/') || s === '.' || s === '..') where.fail(`${show(raw)} is not a file name`)
      return s
    },
    format: (v) => v,
  }
  return {
    ...base,
    kind: 'static',
    root: read('static', path, ''),
    index: read('index', list(fileName), ['index.html']),
  }
}

function redirectRoute(base: RouteBase, read: Read): RedirectRoute {
  const target: ValueType<string> = {
    hint: 'an http(s):// URL or a path, with optional {path} and {query}',
    parse(raw, where) {
      const s = text.parse(raw, where)
      const probe = s.replace(/\{path\}|\{query\}/g, 'x')
      let ok = probe.startsWith('/') && !probe.startsWith('//')
      try {
        ok ||= ['http:', 'https:'].includes(new URL(probe).protocol)
      } catch {
        // not absolute: only a path will do
      }
      if (!ok) where.fail(`${show(raw)} is not ${target.hint}`)
      return s
    },
    format: (v) => v,
  }
  const status = int(301, 308, '301, 302, 307 or 308')
  const redirectStatus: ValueType<number> = {
    ...status,
    parse(raw, where) {
      const n = status.parse(raw, where)
      if (![301, 302, 307, 308].includes(n))
        where.fail(`${n} is not a redirect status; give 301, 302, 307 or 308`)
      return n
    },
  }
  return {
    ...base,
    kind: 'redirect',
    to: read('redirect', target, ''),
    status: read('status', redirectStatus, 308),
  }
}

function respondRoute(base: RouteBase, read: Read): RespondRoute {
  const body = read(
    'respond',
    {
      hint: 'a string',
      parse: (raw: unknown, w: Where) =>
        typeof raw === 'string' ? raw : w.fail(`${show(raw)} is not a string`),
      format: (v: string) => v,
    },
    '',
  )
  const status = read('status', int(200, 599), 200)
  return {
    ...base,
    kind: 'respond',
    status,
    body,
    contentType: read('content_type', text, 'text/plain; charset=utf-8'),
  }
}

/** A route back in TOML form, every resolved value included. */
export function routeToToml(route: RouteOptions): Record<string, TomlOut> {
  const out: Record<string, TomlOut> = { path: route.path }
  switch (route.kind) {
    case 'proxy':
      Object.assign(out, proxyToToml(route))
      break
    case 'static':
      Object.assign(out, { static: route.root, index: route.index })
      break
    case 'redirect':
      Object.assign(out, { redirect: route.to, status: route.status })
      break
    case 'respond':
      Object.assign(out, {
        respond: route.body,
        status: route.status,
        content_type: route.contentType,
      })
      break
  }
  out.max_body = formatSize(route.maxBodyBytes)
  const up = formatHeaderOps(route.headersUp)
  const down = formatHeaderOps(route.headersDown)
  if (up) out.header_up = up
  if (down) out.header_down = down
  return out
}
