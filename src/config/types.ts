/**
 * The resolved configuration of `gatehouse serve`: defaults < `gatehouse.toml` < `GATEHOUSE_*`
 * environment < flags. Built and validated once by src/config, then frozen. Units are in the names.
 *
 * TOML shape (snake_case keys; see README "Configuration" for every key):
 *
 *   home = "/var/lib/gatehouse"            # or GATEHOUSE_HOME
 *   [http]   host = "0.0.0.0"  port = 80    # 0 = any free port, -1 = disabled
 *   [https]  host = "0.0.0.0"  port = 443
 *   [tls]    email, acme_directory, staging, acme_ca_cert, challenges, profile, key_type,
 *            cert_dir, cert_lookup, hsts, [[tls.files]] cert/key, [tls.on_demand] allow/ask
 *   [server] workers, trusted_proxies, health_path, drain_timeout, handshake_timeout,
 *            header_timeout, body_timeout, idle_timeout, max_header_size, max_headers,
 *            max_url_size
 *   [log]    level, access_log (path or "stdout"/"off")
 *   [[site]] hosts = [...]  access_log = true
 *     [[site.route]] path = "/"  proxy = ["127.0.0.1:8080"]  (or static = DIR, redirect = URL,
 *                    respond = "text")  max_body = "110MB"  header_up/header_down, lb, health_check, ...
 */
import type { KeyType } from '../crypto/keys.js'
import type { GatewayLimits, SiteOptions } from '../proxy/types.js'

export type ChallengeType = 'http-01' | 'tls-alpn-01'

/** Where a value came from, for `gatehouse config`. */
export type ValueSource = 'default' | 'file' | 'env' | 'flag'

export interface ListenerConfig {
  host: string
  /** 0 = any free port, -1 = disabled. */
  port: number
}

export interface TlsConfig {
  email?: string
  /** `letsencrypt`, `letsencrypt-staging` or a directory URL (staging = true picks the staging one). */
  acmeDirectory: string
  acmeCaCert?: string
  challenges: ChallengeType[]
  profile?: string
  keyType: KeyType
  /** Explicit certificate files, served first. */
  files: { cert: string; key: string }[]
  /** The certificate folder; undefined when `cert_lookup = false`. */
  certDir?: string
  hsts: false | { maxAgeSeconds: number; includeSubDomains: boolean; preload: boolean }
  /** On-demand issuance policy; undefined means none at all. */
  onDemand?: { allow: string[]; ask?: string }
  eab?: { kid: string; hmacKey: string }
}

export interface ServerConfig {
  /** Worker processes; 1 runs in-process. */
  workers: number
  trustedProxies: string[]
  /** Health endpoint path answered on every site (and on no-site requests). Default `/.gatehouse/health`. */
  healthPath: string
  /** SIGTERM: in-flight requests get this long before the process exits. Default 30 000. */
  drainTimeoutMs: number
  limits: GatewayLimits
}

export interface LogConfig {
  level: 'debug' | 'info' | 'warn' | 'error'
  /** `stdout`, `off`, or a file path. Default `stdout`. */
  accessLog: string
}

export interface GatehouseConfig {
  /** The file it came from, if any. */
  file?: string
  home: string
  http: ListenerConfig
  https: ListenerConfig
  tls: TlsConfig
  server: ServerConfig
  log: LogConfig
  sites: SiteOptions[]
}

/** A resolved config and, for each dotted key path (`https.port`, `site[0].route[1].max_body`), its source. */
export interface ResolvedConfig {
  config: GatehouseConfig
  sources: ReadonlyMap<string, ValueSource>
}
