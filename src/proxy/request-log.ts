/**
 * The access-log line of a request the gateway answers (WebSocket handshakes have theirs in
 * websocket-log.ts): written once the reply has closed, or at once for an HTTP/1.1 head refused
 * before any of it could be read.
 */
import { accessLogEntry, type AccessLogFields } from './access-log.js'
import type { Reply } from './reply.js'
import type { RouteState, SiteState } from './route-state.js'
import { peerOf } from './request-fields.js'
import { normalizeHost, type Router } from './router.js'
import type { RefusedHttp1 } from './types.js'

/** The access-log sink of `GatewayOptions.accessLog`. */
type Sink = (entry: Record<string, unknown>) => void

/** What the access log says of a request. */
export interface LoggedRequest {
  method: string
  /** Normalised when routed; as sent (or empty) in a refusal's line. */
  host: string
  path: string
  peer: string
  version: string
  start: number
}

/** A refused request-target is logged up to this length (the limit itself may be far larger). */
const MAX_LOGGED_TARGET = 2048

/** Writes the request's line to `log` once `reply` has closed. */
export function logOnClose(
  log: Sink | undefined,
  reply: Reply,
  x: LoggedRequest,
  upstream: () => string | undefined,
): void {
  if (!log) return
  reply.onClose(() => {
    const fields: AccessLogFields = {
      remote: x.peer,
      method: x.method,
      host: x.host,
      path: x.path,
      status: reply.status,
      bytes: reply.bytes,
      durationMs: performance.now() - x.start,
      upstream: upstream(),
      proto: x.version,
    }
    log(accessLogEntry(fields, Date.now()))
  })
}

/**
 * The access-log line of an answer given before a route was found: a refusal of the request's
 * head, or no route for its host. Written unless the host names a site whose access log is off: a
 * request that belongs to no site is logged, as nginx logs it in its default server's log (a flood
 * of bad requests is what an operator looks for there).
 */
export function logUnrouted(
  log: Sink | undefined,
  router: Router<SiteState, RouteState>,
  reply: Reply,
  x: LoggedRequest,
): void {
  const name = normalizeHost(x.host)
  const site = name === undefined ? undefined : router.siteFor(name)
  if (site?.accessLog === false) return
  logOnClose(log, reply, { ...x, path: x.path.slice(0, MAX_LOGGED_TARGET) }, () => undefined)
}

/** The line of an HTTP/1.1 head refused before any of it could be read, at `now` (epoch ms). */
export function refusedHttp1Entry(refusal: RefusedHttp1, now: number): Record<string, unknown> {
  const { status, bodyBytes, durationMs } = refusal
  const entry = { remote: peerOf(refusal.peer), method: '', host: '', path: '', status }
  const rest = { bytes: bodyBytes, durationMs, upstream: undefined, proto: '1.1' }
  return accessLogEntry({ ...entry, ...rest }, now)
}
