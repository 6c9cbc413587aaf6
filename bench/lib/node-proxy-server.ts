/**
 * The Node.js proxies of the proxy bench, one per process:
 *
 *   node build/bench/lib/node-proxy-server.js KIND PORT CRT KEY ORIGIN_URL
 *
 * KIND is `undici` (a bare undici `Pool.stream` proxy on `https.createServer`), `undici-dispatch`
 * (the floor of the stack issue 4 prescribes: node:http in front, undici's callback `dispatch`
 * behind, the fields passed through with no routing, no checks, no forwarding headers, no log),
 * `tls-dispatch` (a ceiling, not a proxy anyone should run: HTTP/1.1 parsed by hand on the TLS
 * socket, no node:http, keep-alive GET/HEAD only, no checks at all, undici's `dispatch` behind and
 * the answer written in one piece: what Gatehouse could reach with an HTTP/1.1 server of its own),
 * `http-proxy`,
 * `http-proxy-3`, `fastify` (fastify + @fastify/http-proxy) or `fastify-h2` (the same on fastify's
 * HTTP/2 server with HTTP/1.1 allowed). Each listens on 127.0.0.1:PORT with TLS 1.3 only and keeps
 * upstream connections alive. A library that fails to load or start exits with status 3 and one
 * line on stderr, which the bench reports as "not available".
 */
import { readFileSync } from 'node:fs'
import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { createServer, type ServerOptions } from 'node:https'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'

type Handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => void

/** Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward; undici refuses some of them. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]

function endToEnd(headers: IncomingHttpHeaders | Record<string, unknown>): Record<string, string> {
  const out = { ...headers } as Record<string, string>
  for (const name of HOP_BY_HOP) delete out[name]
  return out
}

/** The bare proxy: undici `Pool.stream` writing the upstream's response straight into `res`. */
async function undiciHandler(origin: string): Promise<Handler> {
  const { Pool } = await import('undici')
  const pool = new Pool(origin, { keepAliveTimeout: 60_000 })
  return (req, res) => {
    const bodyless = req.method === 'GET' || req.method === 'HEAD'
    pool.stream(
      {
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers: endToEnd(req.headers),
        body: bodyless ? null : req,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEnd(headers))
        return res
      },
      (err) => {
        if (!err) return
        if (res.headersSent) res.destroy(err)
        else res.writeHead(502).end('upstream failed\n')
      },
    )
  }
}

/** http-proxy and http-proxy-3 share one API; both get a keep-alive agent (default: none). */
/**
 * The least a node:http + undici proxy can do per request: what Gatehouse's HTTP/1.1 path is built
 * on, without anything Gatehouse adds. Response fields pass through but for `connection`.
 */
async function undiciDispatchHandler(origin: string): Promise<Handler> {
  const { Pool } = await import('undici')
  const pool = new Pool(origin, { keepAliveTimeout: 60_000 })
  const host = new URL(origin).host
  return (req, res) => {
    const bodyless = req.method === 'GET' || req.method === 'HEAD'
    pool.dispatch(
      {
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers: ['host', host],
        body: bodyless ? null : req,
      },
      {
        onConnect() {},
        onError(err) {
          if (res.headersSent) res.destroy(err)
          else res.writeHead(502).end('upstream failed\n')
        },
        onHeaders(status, raw) {
          const fields: string[] = []
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i]?.toString('latin1') ?? ''
            if (name.toLowerCase() !== 'connection')
              fields.push(name, raw[i + 1]?.toString('latin1') ?? '')
          }
          res.writeHead(status, fields)
          return true
        },
        onData: (chunk) => res.write(chunk),
        onComplete: () => void res.end(),
      },
    )
  }
}

/**
 * The `tls-dispatch` ceiling: one request at a time per connection, its head split by hand (no
 * validation: bench traffic only), forwarded through undici's `dispatch`; the status line, the
 * upstream's fields and the body leave in one write.
 */
async function startTlsDispatch(tls: ServerOptions, port: number, origin: string): Promise<void> {
  const { Pool } = await import('undici')
  const pool = new Pool(origin, { keepAliveTimeout: 60_000 })
  const host = new URL(origin).host
  const end = Buffer.from('\r\n\r\n')
  const serve = (socket: TLSSocket): void => {
    let pending: Buffer = Buffer.alloc(0)
    let busy = false
    const next = (): void => {
      const at = busy ? -1 : pending.indexOf(end)
      if (at < 0) return
      const line = pending.toString('latin1', 0, pending.indexOf('\r\n'))
      pending = pending.subarray(at + 4)
      const [method = 'GET', path = '/'] = line.split(' ')
      busy = true
      let head = ''
      const chunks: Buffer[] = []
      pool.dispatch(
        { method, path, headers: ['host', host], body: null },
        {
          onConnect() {},
          onError: () => socket.destroy(),
          onHeaders(status, raw) {
            head = `HTTP/1.1 ${status} OK\r\n`
            for (let i = 0; i < raw.length; i += 2) {
              const name = raw[i]?.toString('latin1') ?? ''
              const lower = name.toLowerCase()
              if (lower !== 'connection' && lower !== 'keep-alive')
                head += `${name}: ${raw[i + 1]?.toString('latin1') ?? ''}\r\n`
            }
            head += '\r\n'
            return true
          },
          onData: (chunk) => chunks.push(chunk) > 0,
          onComplete() {
            socket.write(Buffer.concat([Buffer.from(head, 'latin1'), ...chunks]))
            busy = false
            next()
          },
        },
      )
    }
    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data])
      next()
    })
    socket.on('error', () => socket.destroy())
  }
  const server = createTlsServer({ ...tls, ALPNProtocols: ['http/1.1'] }, serve)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
}

async function httpProxyHandler(
  pkg: 'http-proxy' | 'http-proxy-3',
  origin: string,
): Promise<Handler> {
  const mod = (await import(pkg)) as {
    default?: { createProxyServer?: CreateProxyServer }
    createProxyServer?: CreateProxyServer
  }
  const create = mod.createProxyServer ?? mod.default?.createProxyServer
  if (!create) throw new Error(`${pkg} exports no createProxyServer`)
  const proxy = create({ target: origin, agent: new HttpAgent({ keepAlive: true }) })
  return (req, res) =>
    proxy.web(req, res, {}, () => {
      if (!res.headersSent) res.writeHead(502).end('upstream failed\n')
      else res.destroy()
    })
}

type CreateProxyServer = (options: { target: string; agent: HttpAgent }) => {
  web(req: IncomingMessage, res: unknown, options: object, onError: (err: Error) => void): void
}

async function startFastify(
  http2: boolean,
  tls: ServerOptions,
  port: number,
  origin: string,
): Promise<void> {
  const { default: Fastify } = await import('fastify')
  const { default: proxy } = await import('@fastify/http-proxy')
  if (http2) {
    const app = Fastify({ logger: false, http2: true, https: { ...tls, allowHTTP1: true } })
    await app.register(proxy, { upstream: origin })
    await app.listen({ host: '127.0.0.1', port })
  } else {
    const app = Fastify({ logger: false, https: tls })
    await app.register(proxy, { upstream: origin })
    await app.listen({ host: '127.0.0.1', port })
  }
}

async function main(argv: string[]): Promise<void> {
  const [kind, port, crt, key, origin] = argv
  if (!kind || !port || !crt || !key || !origin)
    throw new Error('usage: node-proxy-server.js KIND PORT CRT KEY ORIGIN_URL')
  const tls: ServerOptions = {
    cert: readFileSync(crt),
    key: readFileSync(key),
    minVersion: 'TLSv1.3',
  }
  if (kind === 'tls-dispatch') return startTlsDispatch(tls, Number(port), origin)
  if (kind === 'fastify' || kind === 'fastify-h2')
    return startFastify(kind === 'fastify-h2', tls, Number(port), origin)
  let handler: Handler
  if (kind === 'undici') handler = await undiciHandler(origin)
  else if (kind === 'undici-dispatch') handler = await undiciDispatchHandler(origin)
  else if (kind === 'http-proxy' || kind === 'http-proxy-3')
    handler = await httpProxyHandler(kind, origin)
  else
    throw new Error(
      `unknown proxy kind ${kind}; use undici, undici-dispatch, tls-dispatch, http-proxy, http-proxy-3, fastify`,
    )
  const server = createServer(tls, handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(port), '127.0.0.1', resolve)
  })
}

process.on('SIGTERM', () => process.exit(0))
try {
  await main(process.argv.slice(2))
} catch (err) {
  console.error(`${process.argv[2]}: not available: ${(err as Error).message}`)
  process.exit(3)
}
