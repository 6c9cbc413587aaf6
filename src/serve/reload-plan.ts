import { isDeepStrictEqual } from 'node:util'
import type { GatehouseConfig } from '../config/types.js'

/** What a reload changes; pure, from the running and the new configuration. */
export interface ReloadPlan {
  /** `[[site]]` blocks differ: gateway.update (or a switch to or from the built-in page). */
  sites: boolean
  accessLog: boolean
  /** The HTTPS / HTTP listener's address changed: re-listen that listener only. */
  https: boolean
  http: boolean
  /** Settings a running server cannot take over (dotted keys), kept as they were. */
  needsRestart: string[]
}

/**
 * Settings read once at start: the home folder and storage, the ACME account and certificate
 * sources, the limits and trusted proxies the gateway was built with, the worker count, log level.
 */
const RESTART_ONLY: readonly (readonly [string, (c: GatehouseConfig) => unknown])[] = [
  ['home', (c) => c.home],
  ['tls', (c) => c.tls],
  ['server.workers', (c) => c.server.workers],
  ['server.limits', (c) => c.server.limits],
  ['server.trusted_proxies', (c) => c.server.trustedProxies],
  ['log.level', (c) => c.log.level],
]

export function planReload(running: GatehouseConfig, next: GatehouseConfig): ReloadPlan {
  return {
    sites: !isDeepStrictEqual(running.sites, next.sites),
    accessLog: running.log.accessLog !== next.log.accessLog,
    https: !isDeepStrictEqual(running.https, next.https),
    http: !isDeepStrictEqual(running.http, next.http),
    needsRestart: RESTART_ONLY.filter(([, get]) => !isDeepStrictEqual(get(running), get(next))).map(
      ([key]) => key,
    ),
  }
}

/** The configuration in force after a reload: `next`, with the restart-only settings of `running`. */
export function appliedConfig(running: GatehouseConfig, next: GatehouseConfig): GatehouseConfig {
  return {
    ...next,
    home: running.home,
    tls: running.tls,
    log: { ...next.log, level: running.log.level },
    server: {
      ...next.server,
      workers: running.server.workers,
      limits: running.server.limits,
      trustedProxies: running.server.trustedProxies,
    },
  }
}
