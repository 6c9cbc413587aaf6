import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { describeConfig } from './describe-config.js'
import { resolveConfig, type ResolveOptions } from './resolve-config.js'
import type { ProxyRoute } from '../proxy/types.js'
import { chatalotToml } from '../../test/helpers/gatehouse-config.js'

const BASE: ResolveOptions = { cwd: '/work', userHome: '/home/ops', cpus: 4 }

function resolveText(text: string, extra: Partial<ResolveOptions> = {}) {
  return resolveConfig({
    ...BASE,
    file: { name: 'gatehouse.toml', path: '/etc/gatehouse/gatehouse.toml', text },
    ...extra,
  })
}

/** The Chatalot setup of the seed documents: API at `/`, WebSocket at `/ws`, 110 MB uploads. */
const CHATALOT = chatalotToml()

const PROXY_DEFAULTS = {
  kind: 'proxy',
  headersUp: { set: {}, remove: [] },
  headersDown: { set: {}, remove: [] },
  loadBalancing: 'round_robin',
  stickyCookie: 'gatehouse_upstream',
  passiveHealth: { maxFails: 3, failWindowMs: 10_000, ejectMs: 30_000 },
  retries: 1,
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 60_000,
  upstreamTls: { verify: true },
  preserveHost: true,
} as const

describe('resolveConfig', () => {
  test('with no file: the embedded default on 127.0.0.1:8443 and :8080, no sites, every value a default', () => {
    const { config, sources } = resolveConfig(BASE)
    assert.deepEqual(config.https, { host: '127.0.0.1', port: 8443 })
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 8080 })
    assert.deepEqual(config.sites, [])
    assert.equal(config.file, undefined)
    assert.equal(config.home, '/home/ops/.gatehouse')
    assert.equal(config.tls.certDir, '/home/ops/.gatehouse/certificates')
    assert.equal(config.tls.acmeDirectory, 'letsencrypt')
    assert.deepEqual(config.tls.challenges, ['http-01', 'tls-alpn-01'])
    assert.equal(config.tls.hsts, false)
    assert.equal(config.tls.onDemand, undefined)
    assert.deepEqual(config.server.limits, {
      maxHeaderBytes: 16_384,
      maxHeaderCount: 100,
      maxUrlBytes: 8_192,
      handshakeTimeoutMs: 10_000,
      headerTimeoutMs: 10_000,
      bodyTimeoutMs: 60_000,
      idleTimeoutMs: 60_000,
    })
    assert.equal(config.server.drainTimeoutMs, 30_000)
    assert.deepEqual(config.log, { level: 'info', accessLog: 'stdout' })
    assert.ok([...sources.values()].every((s) => s === 'default'))
    assert.equal(sources.get('https.port'), 'default')
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tls.challenges))
  })

  test('embedded: false (reverse-proxy) and any file: the standard ports on all interfaces', () => {
    assert.deepEqual(resolveConfig({ ...BASE, embedded: false }).config.https, {
      host: '0.0.0.0',
      port: 443,
    })
    const { config } = resolveText('')
    assert.deepEqual(
      [config.http, config.https],
      [
        { host: '0.0.0.0', port: 80 },
        { host: '0.0.0.0', port: 443 },
      ],
    )
    assert.equal(config.file, '/etc/gatehouse/gatehouse.toml')
  })

  test('the Chatalot config resolves to the expected SiteOptions, every default filled in', () => {
    const { config, sources } = resolveText(CHATALOT)
    assert.deepEqual(config.sites, [
      {
        hosts: ['chat.example.com'],
        accessLog: true,
        routes: [
          {
            ...PROXY_DEFAULTS,
            path: '/',
            maxBodyBytes: 110_000_000,
            upstreams: [{ url: 'http://127.0.0.1:8080' }],
            websocketIdleTimeoutMs: 86_400_000,
          },
          {
            ...PROXY_DEFAULTS,
            path: '/ws',
            maxBodyBytes: 10 * 2 ** 20,
            upstreams: [{ url: 'http://127.0.0.1:8080' }],
            websocketIdleTimeoutMs: 7 * 86_400_000,
          },
        ],
      },
    ])
    assert.equal(config.tls.email, 'ops@example.com')
    assert.equal(sources.get('site[0].route[0].max_body'), 'file')
    assert.equal(sources.get('site[0].route[1].max_body'), 'default')
    assert.equal(sources.get('site[0].route[1].websocket_idle_timeout'), 'file')
    assert.equal(sources.get('site[0].access_log'), 'default')
    assert.equal(sources.get('tls.email'), 'file')
  })

  test('precedence: defaults < file < environment < flags, with the source of each value', () => {
    const file =
      '[https]\nport = 8443\nhost = "::"\n[tls]\nemail = "file@example.com"\n[log]\nlevel = "warn"\n'
    const env = {
      GATEHOUSE_HTTPS_PORT: '9443',
      GATEHOUSE_EMAIL: 'alias@example.com',
      GATEHOUSE_LOG_LEVEL: '',
    }
    const flags = new Map([['https.port', '10443']])
    const cases: [Partial<ResolveOptions>, number, string][] = [
      [{}, 8443, 'file'],
      [{ env }, 9443, 'env'],
      [{ env, flags }, 10443, 'flag'],
      [{ flags }, 10443, 'flag'],
    ]
    for (const [extra, port, source] of cases) {
      const { config, sources } = resolveText(file, extra)
      assert.equal(config.https.port, port)
      assert.equal(sources.get('https.port'), source)
      assert.equal(config.https.host, '::')
      assert.equal(sources.get('https.host'), 'file')
      assert.equal(sources.get('http.port'), 'default')
    }
    // The flag's own variable (GATEHOUSE_EMAIL, as for every CLI command) works; the section's wins.
    const { config, sources } = resolveText(file, { env })
    assert.equal(config.tls.email, 'alias@example.com')
    assert.equal(sources.get('tls.email'), 'env')
    assert.equal(
      resolveText(file, { env: { ...env, GATEHOUSE_TLS_EMAIL: 'own@example.com' } }).config.tls
        .email,
      'own@example.com',
    )
    // An empty variable is unset: the file's value stays.
    assert.equal(config.log.level, 'warn')
    assert.equal(sources.get('log.level'), 'file')
  })

  test('environment and flag values are text: numbers, switches, lists and sizes are parsed', () => {
    const env = {
      GATEHOUSE_STAGING: 'yes',
      GATEHOUSE_TLS_CHALLENGES: 'tls-alpn-01',
      GATEHOUSE_SERVER_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      GATEHOUSE_MAX_HEADER_SIZE: '32768',
      GATEHOUSE_SERVER_IDLE_TIMEOUT: '2m',
      GATEHOUSE_BODY_TIMEOUT: '90s',
      GATEHOUSE_WORKERS: 'auto',
      GATEHOUSE_HSTS: '365d',
    }
    const flags = new Map<string, string | boolean>([
      ['tls.cert_lookup', false],
      ['server.max_url_size', '16KiB'],
    ])
    const { config } = resolveConfig({ ...BASE, env, flags })
    assert.equal(config.tls.acmeDirectory, 'letsencrypt-staging')
    assert.deepEqual(config.tls.challenges, ['tls-alpn-01'])
    assert.deepEqual(config.server.trustedProxies, ['10.0.0.0/8', '::1'])
    assert.equal(config.server.limits.maxHeaderBytes, 32_768)
    assert.equal(config.server.limits.maxUrlBytes, 16_384)
    assert.equal(config.server.limits.idleTimeoutMs, 120_000)
    assert.equal(config.server.limits.bodyTimeoutMs, 90_000)
    assert.equal(config.server.workers, 4)
    assert.equal(config.tls.certDir, undefined)
    assert.deepEqual(config.tls.hsts, {
      maxAgeSeconds: 31_536_000,
      includeSubDomains: false,
      preload: false,
    })
  })

  test('$VAR expands in values; $GATEHOUSE_HOME is the resolved home; relative paths follow the file', () => {
    const text = `home = "$STATE/gatehouse"
[tls]
cert_dir = "$GATEHOUSE_HOME/certificates"
acme_ca_cert = "pebble.minica.pem"
[[tls.files]]
cert = "\${CERTS:-certs}/a.crt"
key = "/abs/a.key"
[[site]]
hosts = ["app.example.com"]
[[site.route]]
proxy = "127.0.0.1:$APP_PORT"
header_up = { set = { "X-Price" = "$$5" } }
[[site.route]]
path = "/files"
static = "public"
`
    const env = { STATE: '/var/lib', APP_PORT: '3000' }
    const { config } = resolveText(text, { env })
    assert.equal(config.home, '/var/lib/gatehouse')
    assert.equal(config.tls.certDir, '/var/lib/gatehouse/certificates')
    assert.equal(config.tls.acmeCaCert, '/etc/gatehouse/pebble.minica.pem')
    assert.deepEqual(config.tls.files, [{ cert: '/etc/gatehouse/certs/a.crt', key: '/abs/a.key' }])
    const [proxy, files] = config.sites[0]?.routes ?? []
    assert.deepEqual((proxy as ProxyRoute).upstreams, [{ url: 'http://127.0.0.1:3000' }])
    assert.deepEqual(proxy?.headersUp, { set: { 'x-price': '$5' }, remove: [] })
    assert.equal(files?.kind === 'static' && files.root, '/etc/gatehouse/public')
    // A flag's home is the home $GATEHOUSE_HOME means.
    const flagged = resolveText(text, { env, flags: new Map([['home', '/opt/gh']]) })
    assert.equal(flagged.config.tls.certDir, '/opt/gh/certificates')
  })

  test('routes: static, redirect and respond kinds, header strings, load balancing and health checks', () => {
    const text = `[[site]]
hosts = ["a.example.com", "*.b.example.com", "A.Example.com"]
access_log = false
[[site.route]]
path = "/api"
proxy = ["10.0.0.1:80", "https://api.internal:8443/v1/", "http://[::1]:9000"]
sticky_cookie = "srv"
health_check = { path = "/health", interval = "5s" }
passive_health = { max_fails = 0 }
upstream_tls = { ca_file = "/etc/ca.pem", servername = "api.internal" }
header_up = ["+X-Env prod", "-Cookie2", "X-Two a b"]
header_down = "-Server"
retries = 0
preserve_host = false
max_body = "unlimited"
[[site.route]]
path = "/old"
redirect = "https://new.example.com{path}?{query}"
status = 301
[[site.route]]
path = "/static"
static = "/srv/www"
index = ["index.htm", "default.html"]
[[site.route]]
path = "/teapot"
respond = "short and stout"
status = 418
`
    const site = resolveText(text).config.sites[0]
    assert.deepEqual(site?.hosts, ['a.example.com', '*.b.example.com'])
    assert.equal(site?.accessLog, false)
    const [api, old, stat, teapot] = site?.routes ?? []
    assert.equal(api?.kind, 'proxy')
    const p = api
    assert.deepEqual(
      p.upstreams.map((u) => u.url),
      ['http://10.0.0.1', 'https://api.internal:8443/v1', 'http://[::1]:9000'],
    )
    assert.equal(p.loadBalancing, 'cookie')
    assert.equal(p.stickyCookie, 'srv')
    assert.deepEqual(p.healthCheck, {
      path: '/health',
      intervalMs: 5_000,
      timeoutMs: 5_000,
      expectStatus: 200,
    })
    assert.deepEqual(p.passiveHealth, { maxFails: 0, failWindowMs: 10_000, ejectMs: 30_000 })
    assert.deepEqual(p.upstreamTls, {
      verify: true,
      caFile: '/etc/ca.pem',
      servername: 'api.internal',
    })
    assert.deepEqual(p.headersUp, { set: { 'x-env': 'prod', 'x-two': 'a b' }, remove: ['cookie2'] })
    assert.deepEqual(p.headersDown, { set: {}, remove: ['server'] })
    assert.equal(p.maxBodyBytes, Infinity)
    assert.deepEqual([p.retries, p.preserveHost], [0, false])
    assert.deepEqual(old, {
      path: '/old',
      maxBodyBytes: 10 * 2 ** 20,
      headersUp: { set: {}, remove: [] },
      headersDown: { set: {}, remove: [] },
      kind: 'redirect',
      to: 'https://new.example.com{path}?{query}',
      status: 301,
    })
    assert.deepEqual(stat?.kind === 'static' && [stat.root, stat.index], [
      '/srv/www',
      ['index.htm', 'default.html'],
    ])
    assert.deepEqual(
      teapot?.kind === 'respond' && [teapot.status, teapot.body, teapot.contentType],
      [418, 'short and stout', 'text/plain; charset=utf-8'],
    )
  })

  test('`gatehouse config` text is a gatehouse.toml that resolves to the same configuration', () => {
    const text = `${CHATALOT}
[[site]]
hosts = ["x.example.com"]
[[site.route]]
proxy = ["https://a.internal", "b.internal:81"]
lb = "least_conn"
health_check = { path = "/h" }
upstream_tls = { verify = false }
header_up = { set = { "X-A" = "1 \\"quoted\\"" }, remove = ["Server"] }
[[site.route]]
path = "/r"
respond = "gone"
status = 410
[[site.route]]
path = "/s"
static = "www"
max_body = 1500
[tls]
hsts = { max_age = "400d", include_subdomains = true, preload = true }
on_demand.ask = "http://127.0.0.1:5555/check"
eab_kid = "kid"
eab_hmac_key = "a2V5"
profile = "shortlived"
[[tls.files]]
cert = "a.crt"
key = "a.key"
[server]
workers = 3
trusted_proxies = ["10.0.0.0/8"]
idle_timeout = "90s"
body_timeout = "45s"
`.replace('[tls]\nemail = "ops@example.com"\n', '')
    const first = resolveText(text, { flags: new Map([['tls.staging', true]]) })
    assert.equal(first.config.server.limits.bodyTimeoutMs, 45_000)
    const again = resolveText(describeConfig(first))
    assert.deepEqual(again.config, first.config)
  })
})

test('home is expanded once, from the environment: `$GATEHOUSE_HOME` in home means the variable', () => {
  const text = 'home = "$GATEHOUSE_HOME/inner"\n[tls]\ncert_dir = "$GATEHOUSE_HOME/c"\n'
  const { config } = resolveText(text, { env: { GATEHOUSE_HOME: '/srv' } })
  // The environment's GATEHOUSE_HOME is itself the home setting, and wins over the file.
  assert.equal(config.home, '/srv')
  assert.equal(config.tls.certDir, '/srv/c')
  const fromFile = resolveText('home = "$STATE/gh"\n[tls]\ncert_dir = "$GATEHOUSE_HOME/c"\n', {
    env: { STATE: '/var/lib' },
  })
  assert.deepEqual(
    [fromFile.config.home, fromFile.config.tls.certDir],
    ['/var/lib/gh', '/var/lib/gh/c'],
  )
})
