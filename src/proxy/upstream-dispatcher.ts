import type { Socket } from 'node:net'
import { buildConnector, errors, type Dispatcher } from 'undici'
import { markConnectFailure } from './connect-failure.js'
import type { UpstreamTls } from './upstream-tls.js'
import { UpstreamPool } from './upstream-pool.js'

export interface UpstreamDispatcherOptions {
  /** TCP connect plus, for https, the TLS handshake must finish within this. */
  connectTimeoutMs: number
  /** Default time until the response headers arrive (undici `headersTimeout`); 0 for none. */
  responseTimeoutMs: number
}

/**
 * The keep-alive pool of one upstream. Connections are made by our own connector so that:
 * - every https connection uses the upstream's one SecureContext and its fixed SNI name;
 * - errors raised while connecting are marked, for `isConnectFailure`.
 */
export function createUpstreamDispatcher(
  url: URL,
  tls: UpstreamTls | undefined,
  options: UpstreamDispatcherOptions,
): Dispatcher {
  const connect = upstreamConnector(tls, options.connectTimeoutMs)
  return new UpstreamPool(url.origin, {
    connect,
    headersTimeout: options.responseTimeoutMs,
    servername: tls === undefined ? undefined : (tls.servername ?? url.hostname),
  })
}

function upstreamConnector(
  tls: UpstreamTls | undefined,
  timeout: number,
): buildConnector.connector {
  const built = buildConnector(
    tls === undefined
      ? { timeout }
      : {
          timeout,
          secureContext: tls.secureContext,
          rejectUnauthorized: tls.rejectUnauthorized,
        },
  )
  const base = built as unknown as ReturningConnector
  const servername = tls?.servername
  return (opts, callback) => {
    // undici derives SNI from each request's Host header (the client's host when it is preserved);
    // the upstream's name is used instead, and none at all for an IP address (RFC 6066 §3).
    const connectOpts = { ...opts }
    if (servername === undefined) delete connectOpts.servername
    else connectOpts.servername = servername
    let timer: NodeJS.Timeout | undefined
    const socket = base(connectOpts, (err, socket) => {
      clearTimeout(timer)
      if (err !== null) {
        markConnectFailure(err)
        callback(err, null)
      } else {
        callback(null, socket)
      }
    })
    if (socket && timeout > 0 && Number.isFinite(timeout)) {
      timer = setTimeout(() => socket.destroy(connectTimeout(opts, timeout)), timeout)
    }
  }
}

/**
 * undici's connector returns the socket it opens (not in its types or docs; undici 6 and 7 do). Were
 * that to change, undici's own connect timer, still armed, bounds the connection as before.
 */
type ReturningConnector = (...args: Parameters<buildConnector.connector>) => Socket | undefined

/**
 * undici arms its connect timeout on its coarse timer wheel (ticks of about 0.5 s): measured with a
 * listener whose accept queue is full (undici 7.30), 100 ms and 500 ms fired after ~1 000 ms and
 * 2 000 ms after ~2 500 ms. The socket is therefore destroyed on a native timer at the configured
 * time, with undici's own error class and code (UND_ERR_CONNECT_TIMEOUT).
 */
function connectTimeout(opts: buildConnector.Options, ms: number): Error {
  return new errors.ConnectTimeoutError(
    `Connect Timeout Error (attempted address: ${opts.hostname}:${opts.port}, timeout: ${ms}ms)`,
  )
}
