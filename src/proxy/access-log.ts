/**
 * Access-log entries: one JSON-ready object per request, handed to `GatewayOptions.accessLog` when
 * the site has `accessLog` on. Field names are stable (log pipelines key on them).
 */

export interface AccessLogFields {
  /** Client peer address. */
  remote: string
  method: string
  host: string
  /** Request-target as received (path and query). */
  path: string
  /** Status sent, or 0 when the client went away first. */
  status: number
  /** Response body bytes sent. */
  bytes: number
  /** From the request's arrival to the end of the response, in milliseconds. */
  durationMs: number
  /** `http://host:port` of the upstream that answered, for proxy routes. */
  upstream?: string
  /** `1.1` or `2`. */
  proto: string
}

export function accessLogEntry(f: AccessLogFields, now: number): Record<string, unknown> {
  return {
    time: new Date(now).toISOString(),
    remote: f.remote,
    method: f.method,
    host: f.host,
    path: f.path,
    status: f.status,
    bytes: f.bytes,
    duration_ms: Math.round(f.durationMs * 1000) / 1000,
    ...(f.upstream !== undefined ? { upstream: f.upstream } : {}),
    proto: f.proto,
  }
}
