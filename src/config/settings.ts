/**
 * Every scalar setting of `gatehouse.toml`, in one table that drives the file schema, the
 * `GATEHOUSE_*` environment, the command-line flags, `gatehouse config` and the README's table
 * (scripts/config-table.js writes it; a test checks it is current). `[[site]]` blocks are not here:
 * they come from the file only (see site-schema.ts).
 */
import { join } from 'node:path'
import { KEY_TYPES } from '../crypto/keys.js'
import { parseDuration } from './duration.js'
import { accessLog, acmeDirectory, hsts, tlsFiles, workers } from './setting-types.js'
import {
  bool,
  cidr,
  duration,
  email,
  int,
  list,
  listenHost,
  onDemandPattern,
  oneOf,
  path,
  port,
  size,
  text,
  url,
  urlPath,
  type ValueType,
} from './value-types.js'
import type { GatehouseConfig } from './types.js'

/** What defaults may depend on. */
export interface DefaultsInput {
  /** The resolved home folder. */
  home: string
  /** No file: the listeners default to localhost:8443 and :8080 (the embedded default). */
  embedded: boolean
  /** The user's home directory, for the default `home`. */
  userHome: string
}

export interface Setting {
  /** Dotted TOML key: `https.port`, `tls.email`, `home`. */
  key: string
  /** Flag name without `--`; none for settings that only the file and environment set. */
  flag?: string
  /** False for settings that only the file sets (structured values). */
  env?: false
  /** Each setting's own kind of value (the table is heterogeneous; tests check type and target agree). */
  type: ValueType<unknown>
  /** Unset when undefined. */
  default?: (d: DefaultsInput) => unknown
  /** The default in words for the README. */
  defaultText: string
  /** One line for the README and --help. */
  help: string
  /** Where the value lands in {@link GatehouseConfig} (dotted camelCase); none for derived settings. */
  target?: string
  /** Reads the value back for `gatehouse config` when `target` alone cannot (derived settings). */
  get?: (c: GatehouseConfig) => unknown
}

const listener = (standardPort: number, embeddedPort: number, what: string): Setting[] => [
  {
    key: `${what}.host`,
    flag: `${what}-host`,
    type: listenHost,
    default: (d) => (d.embedded ? '127.0.0.1' : '0.0.0.0'),
    defaultText: '`0.0.0.0` (`127.0.0.1` embedded)',
    help: `address the ${what.toUpperCase()} listener binds`,
    target: `${what}.host`,
  },
  {
    key: `${what}.port`,
    flag: `${what}-port`,
    type: port,
    default: (d) => (d.embedded ? embeddedPort : standardPort),
    defaultText: `\`${standardPort}\` (\`${embeddedPort}\` embedded)`,
    help: `${what.toUpperCase()} port; 0 = any free port, -1 = off`,
    target: `${what}.port`,
  },
]

export const SETTINGS: readonly Setting[] = Object.freeze([
  {
    key: 'home',
    flag: 'home',
    type: path,
    default: (d) => join(d.userHome, '.gatehouse'),
    defaultText: '`~/.gatehouse`',
    help: 'account, certificates and local CA; `$GATEHOUSE_HOME` in values means this folder',
    target: 'home',
  },
  ...listener(80, 8080, 'http'),
  ...listener(443, 8443, 'https'),
  {
    key: 'tls.email',
    flag: 'email',
    type: email,
    defaultText: 'none',
    help: 'ACME account contact',
    target: 'tls.email',
  },
  {
    key: 'tls.acme_directory',
    flag: 'acme-directory',
    type: acmeDirectory,
    default: () => 'letsencrypt',
    defaultText: '`letsencrypt`',
    help: '`letsencrypt`, `letsencrypt-staging` or a directory URL',
    target: 'tls.acmeDirectory',
  },
  {
    key: 'tls.staging',
    flag: 'staging',
    type: bool,
    default: () => false,
    defaultText: '`false`',
    help: "use Let's Encrypt's staging CA",
    get: (c) => c.tls.acmeDirectory === 'letsencrypt-staging',
  },
  {
    key: 'tls.acme_ca_cert',
    flag: 'acme-ca-cert',
    type: path,
    defaultText: 'none',
    help: "a PEM to trust for the ACME server's own HTTPS",
    target: 'tls.acmeCaCert',
  },
  {
    key: 'tls.challenges',
    flag: 'challenges',
    type: list(oneOf(['http-01', 'tls-alpn-01'] as const), true),
    default: () => ['http-01', 'tls-alpn-01'],
    defaultText: '`["http-01", "tls-alpn-01"]`',
    help: 'challenge types offered, answered in-process',
    target: 'tls.challenges',
  },
  {
    key: 'tls.profile',
    flag: 'profile',
    type: text,
    defaultText: "the CA's default",
    help: 'ACME profile (e.g. `shortlived`)',
    target: 'tls.profile',
  },
  {
    key: 'tls.key_type',
    flag: 'key-type',
    type: oneOf(KEY_TYPES),
    default: () => 'ec256',
    defaultText: '`ec256`',
    help: KEY_TYPES.map((k) => `\`${k}\``).join(', '),
    target: 'tls.keyType',
  },
  {
    key: 'tls.cert_dir',
    flag: 'cert-dir',
    type: path,
    default: (d) => join(d.home, 'certificates'),
    defaultText: '`<home>/certificates`',
    help: 'certificate folder: `<name>.crt` + `<name>.key` pairs served by name',
    get: (c) => c.tls.certDir,
  },
  {
    key: 'tls.cert_lookup',
    flag: 'cert-lookup',
    type: bool,
    default: () => true,
    defaultText: '`true`',
    help: 'look certificates up in the certificate folder',
    get: (c) => c.tls.certDir !== undefined,
  },
  {
    key: 'tls.files',
    env: false,
    type: tlsFiles,
    default: () => [],
    defaultText: 'none',
    help: '`[[tls.files]]` with `cert` and `key`: certificate files served first',
    target: 'tls.files',
  },
  {
    key: 'tls.hsts',
    flag: 'hsts',
    type: hsts,
    default: () => false,
    defaultText: '`false`',
    help: 'Strict-Transport-Security: `false`, a max-age (`"365d"`) or `{ max_age, include_subdomains, preload }`',
    target: 'tls.hsts',
  },
  {
    key: 'tls.on_demand.allow',
    flag: 'on-demand-allow',
    type: list(onDemandPattern),
    defaultText: 'none',
    help: 'names (`*.example.com`: one label, `**.example.com`: any depth) whose certificates are obtained at the first handshake',
    target: 'tls.onDemand.allow',
  },
  {
    key: 'tls.on_demand.ask',
    flag: 'on-demand-ask',
    type: url(['http:', 'https:']),
    defaultText: 'none',
    help: 'URL asked `?domain=NAME` before an on-demand certificate; 200 allows',
    target: 'tls.onDemand.ask',
  },
  {
    key: 'tls.eab_kid',
    flag: 'eab-kid',
    type: text,
    defaultText: 'none',
    help: 'External Account Binding key id (with `eab_hmac_key`)',
    target: 'tls.eab.kid',
  },
  {
    key: 'tls.eab_hmac_key',
    flag: 'eab-hmac-key',
    type: text,
    defaultText: 'none',
    help: 'External Account Binding HMAC key, base64url',
    target: 'tls.eab.hmacKey',
  },
  {
    key: 'server.workers',
    flag: 'workers',
    type: workers,
    default: () => 1,
    defaultText: '`1`',
    help: 'worker processes, or `"auto"` for one per CPU',
    target: 'server.workers',
  },
  {
    key: 'server.trusted_proxies',
    flag: 'trusted-proxies',
    type: list(cidr),
    default: () => [],
    defaultText: 'none',
    help: 'addresses or CIDRs whose X-Forwarded-* headers are kept and extended',
    target: 'server.trustedProxies',
  },
  {
    key: 'server.health_path',
    flag: 'health-path',
    type: urlPath,
    default: () => '/.gatehouse/health',
    defaultText: '`/.gatehouse/health`',
    help: 'health endpoint answered on every site, over HTTPS and plain HTTP',
    target: 'server.healthPath',
  },
  ...timeouts(),
  ...limits(),
  {
    key: 'log.level',
    flag: 'log-level',
    type: oneOf(['debug', 'info', 'warn', 'error'] as const),
    default: () => 'info',
    defaultText: '`info`',
    help: '`debug`, `info`, `warn` or `error`',
    target: 'log.level',
  },
  {
    key: 'log.access_log',
    flag: 'access-log',
    type: accessLog,
    default: () => 'stdout',
    defaultText: '`stdout`',
    help: '`stdout`, `off` or a file path',
    target: 'log.accessLog',
  },
])

function timeouts(): Setting[] {
  const rows: [string, string, string, string][] = [
    [
      'drain_timeout',
      '30s',
      'SIGTERM: in-flight requests and WebSocket closes get this long',
      'server.drainTimeoutMs',
    ],
    ['handshake_timeout', '10s', 'TLS handshake bound', 'server.limits.handshakeTimeoutMs'],
    [
      'header_timeout',
      '10s',
      'request head bound (slow clients get 408)',
      'server.limits.headerTimeoutMs',
    ],
    [
      'body_timeout',
      '60s',
      'longest pause in a request body, HTTP/1.1 or HTTP/2 (a stalled upload gets 408)',
      'server.limits.bodyTimeoutMs',
    ],
    [
      'idle_timeout',
      '60s',
      'idle keep-alive connections are closed after this',
      'server.limits.idleTimeoutMs',
    ],
  ]
  return rows.map(([key, def, help, target]) => ({
    key: `server.${key}`,
    flag: key.replace(/_/g, '-'),
    type: duration,
    default: () => parseDuration(def),
    defaultText: `\`"${def}"\``,
    help,
    target,
  }))
}

function limits(): Setting[] {
  return [
    {
      key: 'server.max_header_size',
      flag: 'max-header-size',
      type: size,
      default: () => 16 * 1024,
      defaultText: '`"16KiB"`',
      help: 'request header bytes; more gets 431',
      target: 'server.limits.maxHeaderBytes',
    },
    {
      key: 'server.max_headers',
      flag: 'max-headers',
      type: int(1, 10_000),
      default: () => 100,
      defaultText: '`100`',
      help: 'request header fields; more gets 431',
      target: 'server.limits.maxHeaderCount',
    },
    {
      key: 'server.max_url_size',
      flag: 'max-url-size',
      type: size,
      default: () => 8 * 1024,
      defaultText: '`"8KiB"`',
      help: 'request-target bytes; more gets 414',
      target: 'server.limits.maxUrlBytes',
    },
  ]
}

/** `https.port` → `GATEHOUSE_HTTPS_PORT`; and the flag's own name (`GATEHOUSE_EMAIL`), as every CLI flag has. */
export function envNames(setting: Setting): string[] {
  if (setting.env === false) return []
  const own = `GATEHOUSE_${setting.key.replace(/\./g, '_').toUpperCase()}`
  const flag = setting.flag && `GATEHOUSE_${setting.flag.replace(/-/g, '_').toUpperCase()}`
  return flag && flag !== own ? [own, flag] : [own]
}
