/**
 * Test fixture: a real Pebble ACME server (Debian's `pebble` 2.4.0) and `pebble-challtestsrv` as its DNS
 * server, on free loopback ports, stopped by `stop()`.
 *
 * Pebble validates challenges by connecting to the identifier's address (every name resolves to
 * 127.0.0.1 through challtestsrv) on `httpPort` (HTTP-01) and `tlsPort` (TLS-ALPN-01), which are free
 * ports chosen here: a test's solver listens on exactly those.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { spawnPeer, waitUntil, type Peer } from './process.js'

export interface PebbleOptions {
  /** Percentage of valid nonces Pebble rejects with `badNonce` (PEBBLE_WFE_NONCEREJECT). Default 5. */
  nonceReject?: number
  /** Percentage of authorizations reused (PEBBLE_AUTHZREUSE). Default 0, so every order is validated. */
  authzReuse?: number
  /** Require External Account Binding with these kid → base64url HMAC key pairs. */
  eabKeys?: Record<string, string>
  /** Number of alternate roots (PEBBLE_ALTERNATE_ROOTS). Default 0. */
  alternateRoots?: number
  /** Certificate lifetime in seconds (`certificateValidityPeriod`). Default 90 days. */
  validitySeconds?: number
  /** Use this DNS server (host:port) instead of starting challtestsrv. */
  dnsServer?: string
  /** Answer every challenge as valid without checking (PEBBLE_VA_ALWAYS_VALID). Default false. */
  alwaysValid?: boolean
  /** Extra environment for Pebble. */
  env?: Record<string, string>
}

export interface Pebble {
  /** `https://127.0.0.1:PORT/dir` */
  readonly directoryUrl: string
  /** `https://127.0.0.1:PORT`: the management API (roots, intermediates, cert status). */
  readonly managementUrl: string
  /** PEM of the certificate Pebble's own HTTPS listeners use: trust it to talk to Pebble. */
  readonly listenerCaPem: string
  /** Path of that PEM on disk (for `--acme-ca-cert`). */
  readonly listenerCaFile: string
  /** Path of the listener's private key (PEM), so a test front can serve TLS with the same identity. */
  readonly listenerKeyFile: string
  /** A scratch folder that `stop()` removes. */
  readonly dir: string
  /** The port Pebble connects to for HTTP-01 validation. */
  readonly httpPort: number
  /** The port Pebble connects to for TLS-ALPN-01 validation. */
  readonly tlsPort: number
  /** challtestsrv's management URL (`/set-txt`, `/clear-txt`, …), when challtestsrv runs. */
  readonly challtestsrvUrl: string | undefined
  /** The DNS server Pebble uses (host:port). */
  readonly dnsServer: string
  /** GET a management path, returning the body as text (throws on a non-2xx answer). */
  management(path: string): Promise<string>
  /** The issuing root with index `i` (0 is the default chain's root), as PEM. */
  root(i?: number): Promise<string>
  /** Writes root `i` to a file in the fixture's folder and returns its path. */
  rootFile(i?: number): Promise<string>
  /** Pebble's status for a certificate serial (hex): `{ Status: "Valid" | "Revoked", Reason?… }`. */
  certStatus(serialHex: string): Promise<{ Status: string; [k: string]: unknown }>
  /** Sets a TXT record in challtestsrv (for exec-provider style tests). */
  setTxt(fqdn: string, value: string): Promise<void>
  clearTxt(fqdn: string): Promise<void>
  /** Pebble's and challtestsrv's output so far. */
  logs(): string
  stop(): Promise<void>
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET', timeout: 5000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url}`)))
    req.on('error', reject)
    req.end()
  })
}

async function challtestsrvPost(base: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status} ${await res.text()}`)
}

export async function startPebble(options: PebbleOptions = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pebble-'))
  const keyFile = join(dir, 'listener-key.pem')
  const certFile = join(dir, 'listener-cert.pem')
  // Debian's pebble ships no listener certificate: make one for 127.0.0.1 and localhost.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '30',
      '-subj',
      '/CN=pebble test listener',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  )
  const listenerCaPem = readFileSync(certFile, 'utf8')

  const [acmePort, mgmtPort, httpPort, tlsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ]
  let challtestsrv: Peer | undefined
  let challtestsrvUrl: string | undefined
  let dnsServer = options.dnsServer
  if (!dnsServer) {
    const dnsPort = await freePort({ udp: true })
    const ctsPort = await freePort()
    dnsServer = `127.0.0.1:${dnsPort}`
    challtestsrvUrl = `http://127.0.0.1:${ctsPort}`
    challtestsrv = spawnPeer('pebble-challtestsrv', [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      dnsServer,
      '-management',
      `127.0.0.1:${ctsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
    ])
  }

  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: certFile,
      privateKey: keyFile,
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: options.eabKeys !== undefined,
      externalAccountMACKeys: options.eabKeys ?? {},
      certificateValidityPeriod: options.validitySeconds ?? 90 * 24 * 3600,
    },
  }
  const configFile = join(dir, 'pebble-config.json')
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: String(options.nonceReject ?? 5),
    PEBBLE_AUTHZREUSE: String(options.authzReuse ?? 0),
    PEBBLE_ALTERNATE_ROOTS: String(options.alternateRoots ?? 0),
    ...(options.alwaysValid ? { PEBBLE_VA_ALWAYS_VALID: '1' } : {}),
    ...options.env,
  }
  const pebble = spawnPeer(
    'pebble',
    ['-config', configFile, '-dnsserver', dnsServer, '-strict=false'],
    {
      env,
      cwd: dir,
    },
  )
  const logs = (): string =>
    `--- pebble ---\n${pebble.output()}\n--- challtestsrv ---\n${challtestsrv?.output() ?? ''}`
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`
  const managementUrl = `https://127.0.0.1:${mgmtPort}`
  const stop = async (): Promise<void> => {
    await Promise.all([pebble.stop(), challtestsrv?.stop()])
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitUntil(
      'pebble',
      async () => (await httpsGet(directoryUrl, listenerCaPem)).status === 200,
      15000,
      logs,
    )
    await waitUntil(
      'pebble management',
      async () => (await httpsGet(`${managementUrl}/roots/0`, listenerCaPem)).status === 200,
      15000,
      logs,
    )
    if (challtestsrvUrl) {
      const url = challtestsrvUrl
      await waitUntil(
        'pebble-challtestsrv',
        async () => (await fetch(`${url}/`).catch(() => null)) !== null,
        15000,
        logs,
      )
    }
  } catch (err) {
    await stop()
    throw err
  }

  const management = async (path: string): Promise<string> => {
    const res = await httpsGet(`${managementUrl}${path}`, listenerCaPem)
    if (res.status < 200 || res.status > 299)
      throw new Error(`pebble management ${path}: HTTP ${res.status} ${res.body}`)
    return res.body
  }
  const root = (i = 0): Promise<string> => management(`/roots/${i}`)
  return {
    directoryUrl,
    managementUrl,
    listenerCaPem,
    listenerCaFile: certFile,
    listenerKeyFile: keyFile,
    dir,
    httpPort,
    tlsPort,
    challtestsrvUrl,
    dnsServer,
    management,
    root,
    async rootFile(i = 0) {
      const file = join(dir, `root-${i}.pem`)
      writeFileSync(file, await root(i))
      return file
    },
    async certStatus(serialHex) {
      return JSON.parse(await management(`/cert-status-by-serial/${serialHex}`)) as {
        Status: string
      }
    },
    async setTxt(fqdn, value) {
      if (!challtestsrvUrl) throw new Error('this Pebble fixture uses an external DNS server')
      await challtestsrvPost(challtestsrvUrl, '/set-txt', { host: fqdn, value })
    },
    async clearTxt(fqdn) {
      if (!challtestsrvUrl) throw new Error('this Pebble fixture uses an external DNS server')
      await challtestsrvPost(challtestsrvUrl, '/clear-txt', { host: fqdn })
    },
    logs,
    stop,
  }
}
