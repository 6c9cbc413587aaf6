/** A `[[site.route]]` with `proxy`: upstreams, balancing, health, timeouts, upstream TLS. */
import type { LoadBalancing, ProxyRoute, RouteBase } from '../proxy/types.js'
import { formatDuration } from './duration.js'
import type { Read } from './read-key.js'
import { parseUpstream } from './upstream.js'
import {
  bool,
  duration,
  int,
  list,
  oneOf,
  path,
  show,
  table,
  text,
  urlPath,
  type TomlOut,
  type ValueType,
} from './value-types.js'
import type { Where } from './where.js'
import { proxyRouteTo } from '../proxy/proxy-route-defaults.js'

/** The keys only proxy routes take. */
export const PROXY_KEYS = [
  'proxy',
  'lb',
  'sticky_cookie',
  'health_check',
  'passive_health',
  'retries',
  'connect_timeout',
  'response_timeout',
  'websocket_idle_timeout',
  'upstream_tls',
  'preserve_host',
] as const

const upstreams: ValueType<{ url: string }[]> = {
  hint: 'an upstream or a list of them',
  parse(raw, where) {
    const items = list(text, true).parse(raw, where)
    return items.map((item, i) => {
      try {
        return { url: parseUpstream(item) }
      } catch (err) {
        return (Array.isArray(raw) ? where.at(i) : where).fail((err as Error).message)
      }
    })
  },
  format: (v) => (v.length === 1 ? (v[0]?.url ?? '') : v.map((u) => u.url)),
}

const LB: readonly LoadBalancing[] = [
  'round_robin',
  'least_conn',
  'random_two',
  'ip_hash',
  'cookie',
]
const cookieName: ValueType<string> = {
  hint: 'a cookie name',
  parse(raw, where) {
    const s = text.parse(raw, where)
    // RFC 6265 §4.1.1: a cookie-name is an RFC 2616 token.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s)) where.fail(`${show(raw)} is not a cookie name`)
    return s
  },
  format: (v) => v,
}

export function proxyRoute(
  base: RouteBase,
  t: Record<string, unknown>,
  read: Read,
  where: Where,
): ProxyRoute {
  const ups = read('proxy', upstreams, [])
  const sticky = t.sticky_cookie !== undefined
  const lb = read('lb', oneOf(LB), sticky ? 'cookie' : 'round_robin')
  if (sticky && lb !== 'cookie') where.at('sticky_cookie').fail('applies only with lb = "cookie"')
  const upstreamTls = read('upstream_tls', tlsOptions, proxyRouteTo([]).upstreamTls)
  if (t.upstream_tls !== undefined && !ups.some((u) => u.url.startsWith('https:')))
    where.at('upstream_tls').fail('applies to https:// upstreams, and this route has none')
  const healthCheck = read('health_check', healthCheckType, undefined)
  const d = proxyRouteTo([])
  return {
    ...base,
    kind: 'proxy',
    upstreams: ups,
    loadBalancing: lb,
    stickyCookie: read('sticky_cookie', cookieName, d.stickyCookie),
    passiveHealth: read('passive_health', passiveHealth, d.passiveHealth),
    ...(healthCheck ? { healthCheck } : {}),
    retries: read('retries', int(0, 10), d.retries),
    connectTimeoutMs: read('connect_timeout', duration, d.connectTimeoutMs),
    responseTimeoutMs: read('response_timeout', duration, d.responseTimeoutMs),
    websocketIdleTimeoutMs: read('websocket_idle_timeout', duration, d.websocketIdleTimeoutMs),
    upstreamTls,
    preserveHost: read('preserve_host', bool, d.preserveHost),
  }
}

const healthCheckType: ValueType<ProxyRoute['healthCheck']> = {
  hint: '{ path, interval, timeout, expect_status }',
  parse(raw, where) {
    const t = table(raw, where, ['path', 'interval', 'timeout', 'expect_status'])
    const get = <T>(key: string, type: ValueType<T>, fallback: T): T =>
      t[key] === undefined ? fallback : type.parse(t[key], where.at(key))
    return {
      path: get('path', urlPath, '/'),
      intervalMs: get('interval', duration, 10_000),
      timeoutMs: get('timeout', duration, 5_000),
      expectStatus: get('expect_status', int(100, 599), 200),
    }
  },
  format: (v) =>
    v && {
      path: v.path,
      interval: formatDuration(v.intervalMs),
      timeout: formatDuration(v.timeoutMs),
      expect_status: v.expectStatus,
    },
}

const passiveHealth: ValueType<ProxyRoute['passiveHealth']> = {
  hint: '{ max_fails, fail_window, eject }',
  parse(raw, where) {
    const t = table(raw, where, ['max_fails', 'fail_window', 'eject'])
    return {
      maxFails:
        t.max_fails === undefined ? 3 : int(0, 1000).parse(t.max_fails, where.at('max_fails')),
      failWindowMs:
        t.fail_window === undefined
          ? 10_000
          : duration.parse(t.fail_window, where.at('fail_window')),
      ejectMs: t.eject === undefined ? 30_000 : duration.parse(t.eject, where.at('eject')),
    }
  },
  format: (v) => ({
    max_fails: v.maxFails,
    fail_window: formatDuration(v.failWindowMs),
    eject: formatDuration(v.ejectMs),
  }),
}

const tlsOptions: ValueType<ProxyRoute['upstreamTls']> = {
  hint: '{ ca_file, verify, servername }',
  parse(raw, where) {
    const t = table(raw, where, ['ca_file', 'verify', 'servername'])
    const verify = t.verify === undefined ? true : bool.parse(t.verify, where.at('verify'))
    if (!verify && t.ca_file !== undefined)
      where.at('ca_file').fail('is pointless with verify = false: remove one')
    return {
      verify,
      ...(t.ca_file === undefined ? {} : { caFile: path.parse(t.ca_file, where.at('ca_file')) }),
      ...(t.servername === undefined
        ? {}
        : { servername: text.parse(t.servername, where.at('servername')) }),
    }
  },
  format: (v) => ({
    verify: v.verify,
    ...(v.caFile === undefined ? {} : { ca_file: v.caFile }),
    ...(v.servername === undefined ? {} : { servername: v.servername }),
  }),
}

/** A proxy route's own keys back in TOML form. */
export function proxyToToml(route: ProxyRoute): Record<string, TomlOut> {
  const https = route.upstreams.some((u) => u.url.startsWith('https:'))
  return {
    proxy: upstreams.format(route.upstreams) ?? [],
    lb: route.loadBalancing,
    ...(route.loadBalancing === 'cookie' ? { sticky_cookie: route.stickyCookie } : {}),
    passive_health: passiveHealth.format(route.passiveHealth) ?? {},
    ...(route.healthCheck ? { health_check: healthCheckType.format(route.healthCheck) ?? {} } : {}),
    retries: route.retries,
    connect_timeout: formatDuration(route.connectTimeoutMs),
    response_timeout: formatDuration(route.responseTimeoutMs),
    websocket_idle_timeout: formatDuration(route.websocketIdleTimeoutMs),
    ...(https ? { upstream_tls: tlsOptions.format(route.upstreamTls) ?? {} } : {}),
    preserve_host: route.preserveHost,
  }
}
