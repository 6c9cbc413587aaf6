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

/**
 * The entry handed to the sink: an object with the fields above in snake case, `time` first and
 * `upstream` only when there is one (its own enumerable properties are the line, for a sink of your
 * own), which {@link accessLogFormatter} writes without JSON.stringify's generic walk.
 */
export class AccessLogEntry {
  // What the sink takes (`Record<string, unknown>`): a class needs the index signature spelled out.
  readonly [key: string]: unknown
  readonly time: string
  readonly remote: string
  readonly method: string
  readonly host: string
  readonly path: string
  readonly status: number
  readonly bytes: number
  readonly duration_ms: number
  // Declared, not defined: upstream is absent (not `undefined`) when there is none, and both are
  // added in the constructor's order, after duration_ms, as in the line.
  declare readonly upstream?: string
  declare readonly proto: string

  constructor(f: AccessLogFields, now: number) {
    this.time = isoTime(now)
    this.remote = f.remote
    this.method = f.method
    this.host = f.host
    this.path = f.path
    this.status = f.status
    this.bytes = f.bytes
    this.duration_ms = Math.round(f.durationMs * 1000) / 1000
    if (f.upstream !== undefined) this.upstream = f.upstream
    this.proto = f.proto
  }
}

export function accessLogEntry(f: AccessLogFields, now: number): AccessLogEntry {
  return new AccessLogEntry(f, now)
}

/** The members of an {@link AccessLogEntry}, which extra fields may not repeat. */
const ENTRY_KEYS = [
  'time',
  'remote',
  'method',
  'host',
  'path',
  'status',
  'bytes',
  'duration_ms',
  'upstream',
  'proto',
]

/**
 * Turns an entry into its JSON line (newline included), with `fields` (e.g. `{ worker: 2 }`) added to
 * every line and winning over the entry's own. For our {@link AccessLogEntry} the line is built
 * directly: the same text as JSON.stringify at about half its cost, which had been the largest single
 * part of Gatehouse's own CPU per proxied request (BENCHMARKS.md). Any other object goes through
 * JSON.stringify.
 * `fields` is read as the formatter is made: leave it unchanged after (our entries keep its text).
 */
export function accessLogFormatter(
  fields?: Record<string, unknown>,
): (entry: Record<string, unknown>) => string {
  const extra = appendedMembers(fields)
  if (fields === undefined)
    return (entry) =>
      entry instanceof AccessLogEntry ? entryLine(entry, '') : `${JSON.stringify(entry)}\n`
  return (entry) =>
    entry instanceof AccessLogEntry && extra !== undefined
      ? entryLine(entry, extra)
      : `${JSON.stringify({ ...entry, ...fields })}\n`
}

/**
 * The text that `fields` add after an entry's own members (`,"worker":2`, or `''` when there is
 * nothing to add), or undefined when they cannot simply be appended and the line must be written
 * by JSON.stringify of the merged object.
 */
export function appendedMembers(fields?: Record<string, unknown>): string | undefined {
  if (fields === undefined) return ''
  const members = appendable(fields) ? JSON.stringify(fields).slice(1, -1) : undefined
  // Nothing to add (every value undefined, which JSON drops): the bare line.
  return members === undefined || members === '' ? members : `,${members}`
}

/** An array index (ECMA-262 §6.1.7), which an object's own keys list first, whatever their order. */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/

/**
 * Whether `fields`, written by JSON.stringify, can be pasted after an entry's own members to give
 * the text of JSON.stringify({ ...entry, ...fields }): not when a field repeats an entry's name (it
 * replaces the entry's value in place), is an array index (JSON.stringify writes those first), or
 * when `fields` has a toJSON (it rewrites `fields` alone, or the merged object once spread).
 */
function appendable(fields: Record<string, unknown>): boolean {
  if ('toJSON' in fields || ENTRY_KEYS.some((key) => key in fields)) return false
  return !Object.keys(fields).some((key) => ARRAY_INDEX.test(key) && Number(key) < 2 ** 32 - 1)
}

function entryLine(e: AccessLogEntry, extra: string): string {
  const upstream = e.upstream === undefined ? '' : `,"upstream":${jsonString(e.upstream)}`
  return (
    `{"time":${jsonString(e.time)},"remote":${jsonString(e.remote)},` +
    `"method":${jsonString(e.method)},"host":${jsonString(e.host)},"path":${jsonString(e.path)},` +
    `"status":${jsonNumber(e.status)},"bytes":${jsonNumber(e.bytes)},` +
    `"duration_ms":${jsonNumber(e.duration_ms)}${upstream},"proto":${jsonString(e.proto)}${extra}}\n`
  )
}

/** What JSON.stringify escapes in a string (RFC 8259 §7), lone surrogates included (ES2019). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null'
}

let cachedSecond = NaN
let cachedPrefix = ''
let cachedNow = NaN
let cachedTime = ''

/**
 * `new Date(now).toISOString()` without a Date per request: the text up to the seconds changes once
 * a second, so it is kept and only the milliseconds are appended. The whole text is kept for its
 * millisecond too: at tens of thousands of requests a second most share it, and a string made once
 * is flattened once, where each new one was flattened again when its line was encoded.
 */
export function isoTime(now: number): string {
  if (now === cachedNow) return cachedTime
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4)
  }
  const ms = now - second * 1000
  cachedNow = now
  cachedTime = `${cachedPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${Math.floor(ms)}Z`
  return cachedTime
}
