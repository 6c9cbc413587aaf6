/**
 * One server of the proxy hot-path bench, run as its own process (pinned by the bench):
 *
 *   node build/bench/lib/hotpath-server.js KIND PORT UPSTREAM_PORT CERT_BASE LOG_FILE [writer|stream]
 *
 * - `upstream`: plain HTTP/1.1 origin answering `ok` (the proxies' upstream);
 * - `node-https`: plain `https.createServer` answering `ok` itself (the floor: TLS + Node HTTP);
 * - `undici`: `https.createServer` piping each request through undici `Pool.stream`, nothing else;
 * - `gatehouse`: `HttpsServer` + gateway, one site, one proxy route, access log on (JSON lines to
 *   LOG_FILE), header rewriting as always.
 * Prints `ready` on stdout once listening.
 */
import { createWriteStream, readFileSync } from 'node:fs'
import { createServer as createHttp } from 'node:http'
import { createServer as createHttps } from 'node:https'
import { Writable } from 'node:stream'
import { Pool } from 'undici'
import { AccessLogWriter } from '../../src/proxy/access-log-writer.js'
import { createGateway } from '../../src/proxy/gateway.js'
import { proxyRouteTo } from '../../src/proxy/proxy-route-defaults.js'
import { HttpsServer } from '../../src/server/https-server.js'
import { DEFAULT_GATEWAY_LIMITS } from '../../src/server/gateway-listeners.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'

const [kind, portArg, upstreamArg, certBase = '', logFile = '/dev/null', sink = 'writer'] =
  process.argv.slice(2)
const port = Number(portArg)
const upstream = `http://127.0.0.1:${Number(upstreamArg)}`
const host = '127.0.0.1'
const ready = (): boolean => process.stdout.write('ready\n')
/** Run before exiting: the access log's pending lines. */
let beforeExit = (): Promise<void> => Promise.resolve()
// An orderly exit, so `node --cpu-prof` writes its profile when the bench stops the server.
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => void beforeExit().finally(() => process.exit(0)))
const tlsFiles = (): { cert: string; key: string } => ({
  cert: readFileSync(`${certBase}.crt`, 'utf8'),
  key: readFileSync(`${certBase}.key`, 'utf8'),
})

switch (kind) {
  case 'upstream':
    createHttp({ keepAliveTimeout: 60_000 }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
      res.end('ok')
    }).listen(port, host, ready)
    break
  case 'node-https':
    createHttps(tlsFiles(), (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
      res.end('ok')
    }).listen(port, host, ready)
    break
  case 'undici':
    startUndici()
    break
  case 'gatehouse':
    await startGatehouse()
    break
  default:
    throw new Error(`unknown server kind ${kind}`)
}

function startUndici(): void {
  const pool = new Pool(upstream, { connections: 128 })
  createHttps(tlsFiles(), (req, res) => {
    pool
      .stream(
        { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: req },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, headers as Record<string, string>)
          return new Writable({
            write: (chunk: Buffer, _e, cb) =>
              void (res.write(chunk) ? cb() : res.once('drain', cb)),
            final: (cb) => void res.end(cb),
          })
        },
      )
      .catch(() => res.destroy())
  }).listen(port, host, ready)
}

async function startGatehouse(): Promise<void> {
  const { cert, key } = tlsFiles()
  const cache = new CertificateCache()
  const name = certBase.slice(certBase.lastIndexOf('/') + 1)
  cache.set({
    id: name,
    names: [name],
    notAfter: new Date(Date.now() + 86_400_000),
    certificatePem: cert,
    privateKeyPem: key,
    source: 'folder',
  })
  // `writer`: the batched AccessLogWriter; `stream`: a write per line on an fs.WriteStream.
  const out = createWriteStream(logFile)
  const writer = new AccessLogWriter(logFile)
  const accessLog =
    sink === 'stream'
      ? (entry: Record<string, unknown>) => out.write(`${JSON.stringify(entry)}\n`)
      : writer.write
  beforeExit = () => writer.close()
  const gateway = createGateway({
    limits: DEFAULT_GATEWAY_LIMITS,
    trustedProxies: [],
    via: 'gatehouse',
    accessLog,
    sites: [
      {
        hosts: [name],
        accessLog: true,
        routes: [
          proxyRouteTo([upstream], {
            headersDown: { set: { 'x-served-by': 'gatehouse' }, remove: ['x-powered-by'] },
          }),
        ],
      },
    ],
  })
  const server = new HttpsServer(
    { cache, https: { host, port }, http: { port: -1 }, limits: DEFAULT_GATEWAY_LIMITS },
    gateway,
  )
  await server.listen()
  ready()
}
