import type { GatehouseConfig } from '../../src/config/types.js'

/** A complete GatehouseConfig for tests: loopback listeners on free ports, no sites (embedded default). */
export function testConfig(
  home: string,
  overrides: Partial<GatehouseConfig> = {},
): GatehouseConfig {
  return {
    home,
    http: { host: '127.0.0.1', port: 0 },
    https: { host: '127.0.0.1', port: 0 },
    tls: {
      acmeDirectory: 'letsencrypt',
      challenges: ['http-01', 'tls-alpn-01'],
      keyType: 'ec256',
      files: [],
      certDir: `${home}/certificates`,
      hsts: false,
    },
    server: {
      workers: 1,
      trustedProxies: [],
      healthPath: '/.gatehouse/health',
      drainTimeoutMs: 5_000,
      limits: {
        maxHeaderBytes: 16_384,
        maxHeaderCount: 100,
        maxUrlBytes: 8_192,
        handshakeTimeoutMs: 10_000,
        headerTimeoutMs: 10_000,
        bodyTimeoutMs: 60_000,
        idleTimeoutMs: 60_000,
      },
    },
    log: { level: 'info', accessLog: 'off' },
    sites: [],
    ...overrides,
  }
}

/**
 * The Chatalot setup of the seed documents as a gatehouse.toml: API at `/`, WebSocket at `/ws`,
 * 110 MB uploads. `ws` is the `/ws` route's upstream (line 14) and idle timeout (none: the default).
 */
export function chatalotToml(
  ws: { proxy: string; idleTimeout?: string } = { proxy: '127.0.0.1:8080', idleTimeout: '7d' },
): string {
  const idle =
    ws.idleTimeout === undefined ? '' : `  websocket_idle_timeout = "${ws.idleTimeout}"\n`
  return `[tls]
email = "ops@example.com"

[[site]]
hosts = ["chat.example.com"]

  [[site.route]]
  path = "/"
  proxy = "127.0.0.1:8080"
  max_body = "110MB"

  [[site.route]]
  path = "/ws"
  proxy = "${ws.proxy}"
${idle}`
}
