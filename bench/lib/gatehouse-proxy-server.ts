/**
 * Gatehouse as the proxy of the proxy bench:
 *
 *   node build/bench/lib/gatehouse-proxy-server.js PORT CRT KEY ORIGIN_URL WS_URL ACCESS_LOG|off
 *
 * `createServer({ tlsFiles, ... }, gateway)` with `gateway = createGateway(...)`: one site for
 * `localhost`, routes `/ws` (WebSocket upstream) and `/` (the origin), a header set on the way up
 * and one removed on the way down, and one JSON access-log line per request appended to
 * ACCESS_LOG through the sink `gatehouse serve` uses (batched writes; issue 4 §6 asks for the throughput "with routing, header rewriting and access logging
 * on"); `off` gives the lean variant with neither logging nor header rules.
 *
 * Anything that fails at start-up exits with status 3 and "gatehouse: not available: ..." on
 * stderr, which the bench reports in the row instead of stopping.
 */
import { openAccessLog, type AccessLogSink } from '../../src/serve/access-log-sink.js'
import { createGateway } from '../../src/proxy/gateway.js'
import { proxyRouteTo } from '../../src/proxy/proxy-route-defaults.js'
import type { GatewayOptions, ProxyRoute, RouteOptions } from '../../src/proxy/types.js'
import { createServer } from '../../src/server/create-server.js'
import { DEFAULT_GATEWAY_LIMITS } from '../../src/server/gateway-listeners.js'

/** A route with the documented defaults; with `rewrite`, a header set on the way up and one removed down. */
function proxyRoute(path: string, url: string, rewrite: boolean): ProxyRoute {
  return proxyRouteTo(
    [url],
    rewrite
      ? {
          path,
          headersUp: { set: { 'x-bench-route': path }, remove: [] },
          headersDown: { set: {}, remove: ['server'] },
        }
      : { path },
  )
}

function gatewayOptions(
  origin: string,
  ws: string,
  log: AccessLogSink | undefined,
): GatewayOptions {
  const on = log !== undefined
  const routes: RouteOptions[] = [proxyRoute('/ws', ws, on), proxyRoute('/', origin, on)]
  return {
    sites: [{ hosts: ['localhost'], routes, accessLog: on }],
    limits: DEFAULT_GATEWAY_LIMITS,
    trustedProxies: [],
    via: 'gatehouse',
    ...(log ? { accessLog: (entry) => log.write(entry) } : {}),
  }
}

async function main(argv: string[]): Promise<void> {
  const [port, crt, key, origin, ws, accessLog] = argv
  if (!port || !crt || !key || !origin || !ws || !accessLog)
    throw new Error(
      'usage: gatehouse-proxy-server.js PORT CRT KEY ORIGIN_URL WS_URL ACCESS_LOG|off',
    )
  // The sink `gatehouse serve` opens for `[log] access_log = FILE`: JSON lines, batched writes.
  const log = await openAccessLog(accessLog)
  const gateway = createGateway(gatewayOptions(origin, ws, log))
  const server = await createServer(
    {
      // createServer wants at least one name; the bench's certificate file is served before any other.
      domains: ['localhost'],
      certDir: false,
      tlsFiles: [{ cert: crt, key }],
      https: { host: '127.0.0.1', port: Number(port) },
      http: { port: -1 },
    },
    gateway,
  )
  await server.listen()
  process.on('SIGTERM', () => {
    void Promise.all([server.close(), gateway.close(), log?.close()]).finally(() => process.exit(0))
  })
}

try {
  await main(process.argv.slice(2))
} catch (err) {
  console.error(`gatehouse: not available: ${(err as Error).message}`)
  process.exit(3)
}
