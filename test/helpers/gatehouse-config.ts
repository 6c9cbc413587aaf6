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
        idleTimeoutMs: 60_000,
      },
    },
    log: { level: 'info', accessLog: 'off' },
    sites: [],
    ...overrides,
  }
}
