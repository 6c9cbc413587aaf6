import { buildConnector, Pool, type Dispatcher } from 'undici'
import { markConnectFailure } from './connect-failure.js'
import type { UpstreamTls } from './upstream-tls.js'

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
  const poolOptions = { connect, headersTimeout: options.responseTimeoutMs }
  return tls === undefined
    ? new Pool(url.origin, poolOptions)
    : new FixedServernamePool(url.origin, poolOptions, tls.servername ?? url.hostname)
}

function upstreamConnector(
  tls: UpstreamTls | undefined,
  timeout: number,
): buildConnector.connector {
  const base = buildConnector(
    tls === undefined
      ? { timeout }
      : {
          timeout,
          secureContext: tls.secureContext,
          rejectUnauthorized: tls.rejectUnauthorized,
        },
  )
  const servername = tls?.servername
  return (opts, callback) => {
    // undici derives SNI from each request's Host header (the client's host when it is preserved);
    // the upstream's name is used instead, and none at all for an IP address (RFC 6066 §3).
    const connectOpts = { ...opts }
    if (servername === undefined) delete connectOpts.servername
    else connectOpts.servername = servername
    base(connectOpts, (err, socket) => {
      if (err !== null) {
        markConnectFailure(err)
        callback(err, null)
      } else {
        callback(null, socket)
      }
    })
  }
}

/**
 * A Pool whose requests all carry the same `servername`. undici's Client reconnects whenever a
 * request's servername (taken from its Host header) differs from the current connection's, which with
 * several client host names on one route would close a kept-alive connection at every change.
 */
class FixedServernamePool extends Pool {
  readonly #servername: string

  constructor(origin: string, options: Pool.Options, servername: string) {
    super(origin, options)
    this.#servername = servername
  }

  override dispatch(
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    return super.dispatch(
      { ...opts, servername: this.#servername } as Dispatcher.DispatchOptions,
      handler,
    )
  }
}
