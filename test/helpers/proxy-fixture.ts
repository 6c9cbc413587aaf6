/**
 * A Gateway on a real HttpsServer (local-CA certificate for app.test, other.test and *.wild.test),
 * recording upstreams on loopback, and raw TLS clients: what the proxy integration tests share.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type TLSSocket } from 'node:tls'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { createGateway } from '../../src/proxy/gateway.js'
import { proxyRouteTo } from '../../src/proxy/proxy-route-defaults.js'
import type {
  Gateway,
  GatewayLimits,
  GatewayOptions,
  ProxyRoute,
  RouteOptions,
  SiteOptions,
} from '../../src/proxy/types.js'
import { HttpsServer } from '../../src/server/https-server.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'

export const NAMES = ['app.test', 'other.test', '*.wild.test']

export interface ProxyFixture {
  port: number
  /** CA root PEM file, for `curl --cacert`. */
  rootFile: string
  rootPem: string
  server: HttpsServer
  gateway: Gateway
  log: Record<string, unknown>[]
  /** curl arguments reaching `https://host:port/path` on this proxy. */
  curlArgs(host: string, path: string): string[]
  close(): Promise<void>
}

let caPromise: Promise<{ ca: LocalCa; entry: Parameters<CertificateCache['set']>[0] }> | undefined

async function certificate(): Promise<{
  ca: LocalCa
  entry: Parameters<CertificateCache['set']>[0]
}> {
  caPromise ??= (async () => {
    const ca = await LocalCa.load(new MemoryStorage())
    const issued = await ca.issue(NAMES)
    return {
      ca,
      entry: {
        id: 'proxy-test',
        names: NAMES,
        notAfter: issued.notAfter,
        certificatePem: issued.leafPem + issued.chainPem,
        privateKeyPem: issued.privateKeyPem,
        source: 'local-ca' as const,
      },
    }
  })()
  return caPromise
}

export async function startProxy(
  sites: SiteOptions[],
  options: Partial<Omit<GatewayOptions, 'sites' | 'limits'>> & {
    limits?: Partial<GatewayLimits>
  } = {},
): Promise<ProxyFixture> {
  const { ca, entry } = await certificate()
  const cache = new CertificateCache()
  cache.set(entry)
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-proxy-'))
  const rootFile = join(dir, 'root.pem')
  writeFileSync(rootFile, ca.rootCertificatePem)
  const log: Record<string, unknown>[] = []
  const limits: GatewayLimits = {
    maxHeaderBytes: 16 * 1024,
    maxHeaderCount: 100,
    maxUrlBytes: 8 * 1024,
    handshakeTimeoutMs: 10_000,
    headerTimeoutMs: 10_000,
    bodyTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
    ...options.limits,
  }
  const gateway = createGateway({
    sites,
    limits,
    trustedProxies: options.trustedProxies ?? [],
    via: options.via ?? 'gatehouse',
    accessLog: options.accessLog ?? ((e) => log.push(e)),
  })
  const server = new HttpsServer(
    { cache, https: { host: '127.0.0.1', port: 0 }, http: { port: -1 }, limits },
    gateway,
  )
  await server.listen()
  const port = server.httpsPort ?? 0
  return {
    port,
    rootFile,
    rootPem: ca.rootCertificatePem,
    server,
    gateway,
    log,
    curlArgs: (host, path) => [
      '--cacert',
      rootFile,
      '--resolve',
      `${host}:${port}:127.0.0.1`,
      `https://${host}:${port}${path}`,
    ],
    async close() {
      await server.close()
      await gateway.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function site(hosts: string[], routes: RouteOptions[], accessLog = true): SiteOptions {
  return { hosts, routes, accessLog }
}

export function proxyRoute(upstreams: string[], overrides: Partial<ProxyRoute> = {}): ProxyRoute {
  // Shorter upstream timeouts than the defaults, so that tests of failures end quickly.
  return proxyRouteTo(upstreams, {
    connectTimeoutMs: 2_000,
    responseTimeoutMs: 10_000,
    ...overrides,
  })
}

/** What an upstream saw of one request. */
export interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  rawHeaders: string[]
  body: Buffer
}

export interface Upstream {
  port: number
  url: string
  seen: Seen[]
  server: Server
  close(): Promise<void>
}

/** An HTTP/1.1 upstream on loopback that records each request, then calls `handler` (default: echo). */
export async function startUpstream(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = (req, res, body) =>
    res.end(`${req.method} ${req.url} ${body.length}`),
): Promise<Upstream> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      })
      handler(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A TCP upstream that records raw bytes and answers each connection's first request with `answer`. */
export async function startRawUpstream(
  answer = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
): Promise<{ port: number; url: string; received: () => string; close(): Promise<void> }> {
  let received = ''
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = ''
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1')
      buffered += d.toString('latin1')
      // Answer once per complete head; the tests only send bodies with Content-Length or chunked.
      while (buffered.includes('\r\n\r\n')) {
        buffered = ''
        socket.write(answer)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on (bound, then closed). */
export async function deadPort(): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/**
 * Sends `data` over a fresh TLS connection (ALPN http/1.1) and returns everything the server wrote
 * until it closed the connection or `waitMs` passed.
 */
export function rawTls(
  port: number,
  servername: string,
  data: string | Buffer,
  rootPem: string,
  waitMs = 2_000,
  doneWhen?: (text: string) => boolean,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let text = ''
    let done = false
    const socket: TLSSocket = connect(
      { host: '127.0.0.1', port, servername, ca: rootPem, ALPNProtocols: ['http/1.1'] },
      () => socket.write(data),
    )
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ text, closed })
    }
    const timer = setTimeout(() => finish(false), waitMs)
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      if (doneWhen?.(text)) finish(false)
    })
    socket.on('close', () => finish(true))
    socket.on('error', (err: Error) => {
      if (!done && text === '') {
        done = true
        clearTimeout(timer)
        reject(err)
      }
    })
  })
}

/** The status code of the first response in a raw HTTP/1.1 answer, or 0 for none. */
export function firstStatus(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
  return m ? Number(m[1]) : 0
}
