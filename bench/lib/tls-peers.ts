/**
 * The TLS servers the start-up and handshake benches compare (Gatehouse, Caddy, nginx, plain Node
 * `https`), each a child process pinned to one core, plus what the benches read from them: the
 * first correct handshake for a name, RSS and CPU time from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { webcrypto } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:tls'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { exportPrivateKeyPem, generateKey } from '../../src/crypto/keys.js'
import { toWebKeyPair, type WebKeyPair } from '../../src/crypto/web-key-pair.js'
import * as x509 from '../../src/crypto/x509.js'

/** Core every server runs on (`taskset -c`). */
export const SERVER_CPU = '0'
/** Core the bench itself, its TLS probe and h2load run on. */
export const CLIENT_CPU = '1'
/** Leaves signed concurrently while generating (WebCrypto signs on the libuv pool). */
const SIGN_BATCH = 64
/** Milliseconds between two probe handshakes while a server is not ready. */
const PROBE_PAUSE_MS = 5
/** Milliseconds a server gets to become ready before the run counts as failed. */
export const READY_TIMEOUT_MS = 180_000
/** Milliseconds a stopped server gets to exit before SIGKILL. */
const STOP_GRACE_MS = 5_000
const PINNED_ENV = 'GATEHOUSE_BENCH_TLS_PINNED'

/** `host<i>.bench.test`: the names of a generated set, index 0 to n - 1. */
export const benchName = (i: number): string => `host${i}.bench.test`

export interface CertificateSet {
  /** `<name>.crt` and `<name>.key` for every name: the Gatehouse certificate folder layout. */
  dir: string
  count: number
}

/**
 * `count` ECDSA P-256 leaves for `host<i>.bench.test`, signed by one CA, ALL SHARING ONE KEY so 10k
 * certificates take seconds, not minutes (a server still parses every key file it loads). Kept in
 * `<root>/certs-<count>` and reused by later runs once complete.
 */
export async function certificateSet(root: string, count: number): Promise<CertificateSet> {
  const dir = join(root, `certs-${count}`)
  const done = join(dir, '.complete')
  if (existsSync(done)) return { dir, count }
  mkdirSync(dir, { recursive: true })
  const ca = await toWebKeyPair(await generateKey('ec256'))
  const leafKey = await generateKey('ec256')
  const leaf = await toWebKeyPair(leafKey)
  const keyPem = exportPrivateKeyPem(leafKey)
  for (let start = 0; start < count; start += SIGN_BATCH) {
    const batch = Array.from({ length: Math.min(SIGN_BATCH, count - start) }, (_, j) => start + j)
    await Promise.all(
      batch.map(async (i) => {
        const name = benchName(i)
        const pem = await signLeaf(name, i, ca, leaf)
        await writeFile(join(dir, `${name}.crt`), pem)
        await writeFile(join(dir, `${name}.key`), keyPem, { mode: 0o600 })
      }),
    )
  }
  writeFileSync(done, '')
  return { dir, count }
}

async function signLeaf(
  name: string,
  i: number,
  ca: WebKeyPair,
  leaf: WebKeyPair,
): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: (i + 1).toString(16).padStart(8, '0'),
      subject: `CN=${name}`,
      issuer: 'CN=Gatehouse bench CA',
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 365 * 86_400_000),
      publicKey: leaf.keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: ca.signingAlgorithm,
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
    },
    webcrypto,
  )
  return cert.toString('pem') + '\n'
}

export type PeerKind =
  'gatehouse' | 'gatehouse-cache' | 'caddy' | 'nginx' | 'node-https' | 'node-tls'

export interface PeerOptions {
  certs: CertificateSet
  /** How many names of the set the server is configured with (0 to n - 1). */
  names: number
  port: number
  /** Scratch folder for configuration, logs and Gatehouse's home. */
  work: string
}

/** A running server process: its pid is the process whose CPU and RSS are read. */
export interface Peer {
  readonly pid: number
  /** `performance.now()` just before spawn: start-up is measured from here. */
  readonly startedAt: number
  stop(): Promise<void>
}

/** Starts `kind` pinned to {@link SERVER_CPU}; `taskset` execs, so the pid is the server's own. */
export function startPeer(kind: PeerKind, options: PeerOptions): Peer {
  mkdirSync(options.work, { recursive: true })
  const [command, args, env] = commandFor(kind, options)
  const startedAt = performance.now()
  const child = spawn('taskset', ['-c', SERVER_CPU, command, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
  child.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(`${kind} exited with ${code}: ${stderr}`)
  })
  if (child.pid === undefined) throw new Error(`cannot spawn ${kind}`)
  return { pid: child.pid, startedAt, stop: () => stopChild(child) }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

type Command = [string, string[], Record<string, string>]

function commandFor(kind: PeerKind, o: PeerOptions): Command {
  switch (kind) {
    case 'gatehouse':
    case 'gatehouse-cache':
    case 'node-https':
    case 'node-tls':
      return [process.execPath, ['--input-type=module', '-e', nodeScript(kind, o)], {}]
    case 'caddy': {
      const file = join(o.work, 'caddy.json')
      writeFileSync(file, JSON.stringify(caddyConfig(o)))
      const env = { HOME: o.work, XDG_DATA_HOME: o.work, XDG_CONFIG_HOME: o.work }
      return ['caddy', ['run', '--config', file], env]
    }
    case 'nginx': {
      const file = join(o.work, 'nginx.conf')
      writeFileSync(file, nginxConfig(o))
      return ['nginx', ['-p', o.work, '-e', join(o.work, 'error.log'), '-c', file], {}]
    }
  }
}

const moduleUrl = (path: string): string =>
  pathToFileURL(join(import.meta.dirname, '..', '..', 'src', path)).href

/**
 * The Node servers, as inline ES modules importing the built library: `gatehouse` is the drop-in
 * `createServer()` with the certificate folder (listed once it listens, each pair read and checked
 * at the first handshake for its name, looked up by file name until the listing is indexed,
 * contexts built lazily); `gatehouse-cache` is `HttpsServer` over a `CertificateCache` filled from the file
 * names alone (no parsing, what a platform that knows its names can do); `node-https` is plain
 * `https.createServer` with one certificate; `node-tls` is Node's floor for any server built on its TLS
 * layer: `tls.createServer` writing a fixed HTTP/1.1 answer to the first bytes it reads, no HTTP
 * parser, no request or response objects.
 */
function nodeScript(kind: PeerKind, o: PeerOptions): string {
  const listen = { host: '127.0.0.1', port: o.port }
  const app = `(req, res) => res.end('ok')`
  const lines: Record<string, string[]> = {
    gatehouse: [
      `import { createServer } from ${JSON.stringify(moduleUrl('server/create-server.js'))}`,
      `const s = await createServer({ domains: [], home: ${JSON.stringify(join(o.work, 'home'))},`,
      `  certDir: ${JSON.stringify(o.certs.dir)}, https: ${JSON.stringify(listen)},`,
      `  http: { port: -1 } }, ${app})`,
      `await s.listen()`,
    ],
    'gatehouse-cache': [
      `import { readFile } from 'node:fs/promises'`,
      `import { CertificateCache } from ${JSON.stringify(moduleUrl('tls/certificate-cache.js'))}`,
      `import { HttpsServer } from ${JSON.stringify(moduleUrl('server/https-server.js'))}`,
      `const cache = new CertificateCache(), dir = ${JSON.stringify(o.certs.dir)}`,
      `const notAfter = new Date(Date.now() + 86400000)`,
      `for (let i = 0; i < ${o.names}; i++) {`,
      `  const name = 'host' + i + '.bench.test'`,
      `  const [c, k] = await Promise.all([readFile(dir + '/' + name + '.crt', 'utf8'), readFile(dir + '/' + name + '.key', 'utf8')])`,
      `  cache.set({ id: name, names: [name], notAfter, certificatePem: c, privateKeyPem: k, source: 'folder' })`,
      `}`,
      `await new HttpsServer({ cache, https: ${JSON.stringify(listen)}, http: { port: -1 } }, ${app}).listen()`,
    ],
    'node-https': [
      `import { readFileSync } from 'node:fs'`,
      `import { createServer } from 'node:https'`,
      `const f = ${JSON.stringify(join(o.certs.dir, benchName(0)))}`,
      `createServer({ cert: readFileSync(f + '.crt'), key: readFileSync(f + '.key') }, ${app})`,
      `  .listen(${o.port}, '127.0.0.1')`,
    ],
    'node-tls': [
      `import { readFileSync } from 'node:fs'`,
      `import { createServer } from 'node:tls'`,
      `const f = ${JSON.stringify(join(o.certs.dir, benchName(0)))}`,
      `const ok = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\nconnection: close\\r\\n\\r\\nok')`,
      `createServer({ cert: readFileSync(f + '.crt'), key: readFileSync(f + '.key') }, (s) => {`,
      `  s.on('error', () => {}); s.once('data', () => s.end(ok)) }).listen(${o.port}, '127.0.0.1')`,
    ],
  }
  return (lines[kind] ?? []).join('\n')
}

/**
 * Caddy's native JSON (what a Caddyfile adapts to, so no adapter time is charged to Caddy): one
 * HTTPS server, automatic HTTPS off, every certificate through `tls.certificates.load_files`.
 */
function caddyConfig(o: PeerOptions): unknown {
  const files = Array.from({ length: o.names }, (_, i) => ({
    certificate: join(o.certs.dir, `${benchName(i)}.crt`),
    key: join(o.certs.dir, `${benchName(i)}.key`),
  }))
  return {
    admin: { disabled: true },
    logging: { logs: { default: { level: 'ERROR' } } },
    storage: { module: 'file_system', root: join(o.work, 'caddy-data') },
    apps: {
      http: {
        servers: {
          bench: {
            listen: [`127.0.0.1:${o.port}`],
            routes: [{ handle: [{ handler: 'static_response', body: 'ok' }] }],
            tls_connection_policies: [{}],
            automatic_https: { disable: true },
          },
        },
      },
      tls: { certificates: { load_files: files } },
    },
  }
}

/** One process (`master_process off`), one `server` block per name, as nginx users write it. */
function nginxConfig(o: PeerOptions): string {
  const servers = Array.from({ length: o.names }, (_, i) => {
    const f = join(o.certs.dir, benchName(i))
    return [
      `server { listen 127.0.0.1:${o.port} ssl${i === 0 ? ' default_server' : ''};`,
      `  server_name ${benchName(i)}; ssl_certificate ${f}.crt; ssl_certificate_key ${f}.key;`,
      `  location / { return 200 "ok"; } }`,
    ].join('\n')
  })
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `${t}_temp_path ${join(o.work, `${t}-temp`)};`)
    .join(' ')
  return `daemon off; master_process off; worker_processes 1;
pid ${join(o.work, 'nginx.pid')}; error_log ${join(o.work, 'error.log')} error;
events { worker_connections 1000; }
http { access_log off; ${temp}
  server_names_hash_max_size 262144; server_names_hash_bucket_size 128;
  ssl_protocols TLSv1.2 TLSv1.3;
${servers.join('\n')}
}
`
}

/**
 * Milliseconds from `peer.startedAt` until a handshake for `servername` on 127.0.0.1:`port` gets
 * the certificate for that name (not a default one): a connection refused or a wrong certificate
 * is retried after {@link PROBE_PAUSE_MS}, up to {@link READY_TIMEOUT_MS}.
 */
export async function timeToReady(peer: Peer, port: number, servername: string): Promise<number> {
  while (performance.now() - peer.startedAt < READY_TIMEOUT_MS) {
    if (await servesName(port, servername)) return performance.now() - peer.startedAt
    await new Promise((resolve) => setTimeout(resolve, PROBE_PAUSE_MS))
  }
  throw new Error(`no handshake for ${servername} within ${READY_TIMEOUT_MS} ms`)
}

function servesName(port: number, servername: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false })
    socket.setTimeout(READY_TIMEOUT_MS)
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().subjectaltname === `DNS:${servername}`)
      socket.destroy()
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      resolve(false)
      socket.destroy()
    })
  })
}

/** Resident set size in MiB (`VmRSS` of /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(kib) / 1024
}

/** Clock ticks per second for /proc times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

/** User + system CPU of every thread of `pid`, in ms (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces; the fields after its closing paren are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks * 1000) / TICKS_PER_SECOND
}

/**
 * Re-executes the bench under `taskset -c` {@link CLIENT_CPU} (affinity set before exec covers
 * every thread Node starts); returns the child's exit code, or undefined in the pinned child.
 */
export function reexecOnClientCore(): number | undefined {
  if (process.env[PINNED_ENV] === '1') return undefined
  const res = spawnSync(
    'taskset',
    ['-c', CLIENT_CPU, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [PINNED_ENV]: '1' } },
  )
  return res.status ?? 1
}

/** First line of a command's output (stdout or stderr), for the environment table. */
export function versionOf(command: string, args: string[]): string {
  const res = spawnSync(command, args, { encoding: 'utf8' })
  if (res.error) return 'not installed'
  return `${res.stdout}${res.stderr}`.trim().split('\n')[0] ?? ''
}
