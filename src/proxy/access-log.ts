/**
 * Access-log entries: one JSON-ready object per request, and one per WebSocket handshake (written
 * when its tunnel closes, see websocket-log.ts), handed to `GatewayOptions.accessLog` when the site
 * has `accessLog` on. Field names are stable (log pipelines key on them).
 */

export interface AccessLogFields {
  /** Client peer address. */
  remote: string
  /** The client's: a WebSocket is GET over HTTP/1.1, CONNECT over HTTP/2 (RFC 8441). */
  method: string
  host: string
  /** Request-target as received (path and query). */
  path: string
  /**
   * Status sent, or 0 when the client went away first. A WebSocket's is 101 (HTTP/1.1) or 200
   * (HTTP/2) once the tunnel opened, else the refusal or the upstream's relayed answer.
   */
  status: number
  /**
   * Response body bytes sent. For a WebSocket, as nginx's $body_bytes_sent counts it: everything
   * sent to the client after the answer's head over the tunnel's whole life (whole frames, their
   * heads included, payloads never decoded; our own going-away close frame not counted), or the
   * body of a refusal or relayed answer. Bytes from the client are not counted.
   */
  bytes: number
  /**
   * From the request's arrival to the end of the response, in milliseconds; for a WebSocket, to
   * the close of its tunnel (both connections).
   */
  durationMs: number
  /** `http://host:port` of the upstream that answered, for proxy routes. */
  upstream?: string | undefined
  /** `1.1` or `2`. */
  proto: string
}

export function accessLogEntry(f: AccessLogFields, now: number): Record<string, unknown> {
  const time = isoTime(now)
  const duration = Math.round(f.durationMs * 1000) / 1000
  const { remote, method, host, path, status, bytes, upstream, proto } = f
  // Two literal shapes, no spread: JSON.stringify takes its fast path on these, once per request.
  return upstream === undefined
    ? { time, remote, method, host, path, status, bytes, duration_ms: duration, proto }
    : { time, remote, method, host, path, status, bytes, duration_ms: duration, upstream, proto }
}

let cachedSecond = NaN
let cachedPrefix = ''

/**
 * `new Date(now).toISOString()` without a Date per request: the text up to the seconds changes once
 * a second, so it is kept and only the milliseconds are appended.
 */
export function isoTime(now: number): string {
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4)
  }
  const ms = now - second * 1000
  return `${cachedPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${Math.floor(ms)}Z`
}
