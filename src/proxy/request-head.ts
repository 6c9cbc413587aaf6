/**
 * The strict HTTP/1.1 request-head parser (RFC 9112 §2-§6) of Gatehouse's own HTTP/1.1 server
 * (src/server/http1-connection.ts), which replaced node:http in front of the gateway: node:http cost
 * about a quarter of the proxy's CPU per request (BENCHMARKS.md). Syntax and framing only, refused as
 * node's llhttp does in strict mode (test/integration/proxy-smuggling.test.ts, whose corpus was
 * pinned against node:http first); the semantic checks (one Host, SNI, target form,
 * Transfer-Encoding codings) are in request-checks.ts. Pure: bytes in, a head or a refusal out.
 */
import { METHODS } from 'node:http'
import { CONTROL_OCTET, TOKEN } from './http-head.js'
import type { Refusal } from './request-checks.js'
import { parseRequestLine } from './request-line.js'

export interface RequestHead {
  method: string
  /** The request-target as sent; request-checks.ts turns it into a normalised origin-form path. */
  target: string
  /**
   * `1.1` or `1.0`; also `2.0`, `0.9` (no version at all) and the like, which request-checks.ts
   * answers with 505.
   */
  version: string
  /** Field names as sent and values without their surrounding whitespace: `[name, value, …]`. */
  rawHeaders: string[]
  /** Bytes of the head, final empty line included: the body (or the next request) starts there. */
  size: number
  /** Declared body length; undefined when the body is chunked or there is none. */
  contentLength: number | undefined
  /** Transfer-Encoding is present (request-checks.ts refuses any coding but a lone `chunked`). */
  chunked: boolean
  /** The connection closes after the answer (RFC 9112 §9.3: `close`, or HTTP/1.0 without keep-alive). */
  close: boolean
  /** Connection names `upgrade` and an Upgrade field is present (RFC 9110 §7.8). */
  upgrade: boolean
}

/** More leading empty lines than this before a request line is not a client being lenient. */
const MAX_LEADING_CRLF = 8
/** The methods llhttp knows (node:http's list): another token is refused, as node:http does. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS)
/** Versions that parse; of these, request-checks.ts serves 1.0 and 1.1 and answers the rest 505. */
const PARSED_VERSIONS: ReadonlySet<string> = new Set(['0.9', '1.0', '1.1', '2.0'])
const DIGITS = /^\d{1,15}$/
const LF = 0x0a
const CR = 0x0d

/**
 * Reads the request head at the start of `buf`. `undefined`: not all of it has arrived, and what has
 * is within `maxHeadBytes`. A refusal always closes the connection: after a head we cannot read,
 * nothing on the connection can be trusted to start a request.
 *
 * `maxHeadBytes` is the parser's hard bound (431 beyond it), as llhttp's is; the finer limits on the
 * target (414), the fields' bytes and their count (431) are the gateway's, on the parsed head.
 *
 * `scanned`: the length `buf` had when this head was last parsed and found incomplete (0 if never).
 * Those bytes were searched already, so the search for the end resumes there: a head that arrives a
 * byte at a time is read in linear, not quadratic, time. `buf` must start with the same bytes.
 */
export function parseRequestHead(
  buf: Buffer,
  maxHeadBytes: number,
  scanned = 0,
): RequestHead | Refusal | undefined {
  let start = 0
  while (start + 1 < buf.length && buf[start] === CR && buf[start + 1] === LF) start += 2
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
  if (start > 2 * MAX_LEADING_CRLF) return refuse(400, 'empty lines before the request line')
  const end = headEnd(buf, start, scanned)
  if (typeof end !== 'number') return end
  if (end < 0 ? buf.length - start > maxHeadBytes : end - start > maxHeadBytes)
    return refuse(431, `request head larger than ${maxHeadBytes} bytes`)
  if (end < 0) return undefined
  const lines = buf.toString('latin1', start, end - 4).split('\r\n')
  const line = parseRequestLine(lines[0] as string)
  if (line === undefined) return refuse(400, 'bad request line')
  const { method, target, version } = line
  // The common ones compared first: a Set lookup hashes the new string (a cost on every request).
  if (method !== 'GET' && method !== 'POST' && !KNOWN_METHODS.has(method))
    return refuse(400, 'unknown request method')
  if (version !== '1.1' && !PARSED_VERSIONS.has(version))
    return refuse(400, `bad HTTP version ${version}`)
  return readFields(lines, { method, target, version, size: end })
}

/**
 * The offset past the CRLF CRLF that ends the head begun at `from`, -1 when it has not arrived, or a
 * refusal for a bare LF or CR (RFC 9112 §2.2: a recipient MAY accept bare LF; a proxy that does and
 * an upstream that does not read two different messages).
 *
 * Bytes before `scanned` passed these checks in an earlier call, with the same `from` (it can only
 * have moved past `scanned`, where the leading CRLFs were cut off mid-pair): every LF there had its
 * CR, none ended the head, and every CR before `scanned - 1` had its LF. So LFs are looked for from
 * `scanned` on (the three bytes a CRLF CRLF reads back are still looked at), and CRs from
 * `scanned - 1` (the last byte then may have been a CR whose LF had not arrived).
 */
function headEnd(buf: Buffer, from: number, scanned: number): number | Refusal {
  const crFrom = Math.max(from, scanned - 1)
  for (let i = buf.indexOf(LF, Math.max(from, scanned)); i !== -1; i = buf.indexOf(LF, i + 1)) {
    if (i === from || buf[i - 1] !== CR) return refuse(400, 'bare LF in the request head')
    // Every earlier LF had its CR, so LF at i - 2 means CR LF CR LF.
    if (i - 3 >= from && buf[i - 2] === LF) return hasBareCr(buf, crFrom, i) ? bareCr() : i + 1
  }
  return hasBareCr(buf, crFrom, buf.length - 1) ? bareCr() : -1
}

/** A CR not followed by LF before `until` (the last byte may be a CR whose LF has not arrived). */
function hasBareCr(buf: Buffer, from: number, until: number): boolean {
  for (let i = buf.indexOf(CR, from); i !== -1 && i < until; i = buf.indexOf(CR, i + 1)) {
    if (buf[i + 1] !== LF) return true
  }
  return false
}

function readFields(
  lines: string[],
  line: { method: string; target: string; version: string; size: number },
): RequestHead | Refusal {
  const rawHeaders: string[] = []
  let contentLength: string | undefined
  let chunked = false
  let connection = ''
  let upgradeField = false
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i] as string
    // RFC 9112 §5.2: obs-fold is refused, not unfolded: an upstream could unfold it differently.
    if (text.charCodeAt(0) === 0x20 || text.charCodeAt(0) === 0x09)
      return refuse(400, 'obs-fold in a header field')
    const colon = text.indexOf(':')
    const name = colon === -1 ? text : text.slice(0, colon)
    // RFC 9112 §5.1: no whitespace between name and colon, and a name is a token.
    if (colon === -1 || !TOKEN.test(name)) return refuse(400, 'bad header field name')
    const value = trimOws(text, colon + 1)
    if (CONTROL_OCTET.test(value)) return refuse(400, `bad octet in header ${name}`)
    rawHeaders.push(name, value)
    // Only the names read here are lower-cased (most fields are ruled out by their length).
    const n = name.length
    const lower = n === 14 || n === 17 || n === 10 || n === 7 ? name.toLowerCase() : ''
    if (lower === 'content-length') {
      // RFC 9112 §6.3: two lengths, even equal ones, are refused as llhttp does.
      if (contentLength !== undefined) return refuse(400, 'more than one Content-Length')
      if (!DIGITS.test(value)) return refuse(400, 'bad Content-Length')
      contentLength = value
    } else if (lower === 'transfer-encoding') {
      chunked = true
    } else if (lower === 'connection') {
      connection = connection === '' ? value : `${connection},${value}`
    } else if (lower === 'upgrade') {
      upgradeField = true
    }
  }
  // RFC 9112 §6.1: both framings at once is the classic smuggling vector: refused, not resolved.
  if (chunked && contentLength !== undefined)
    return refuse(400, 'both Content-Length and Transfer-Encoding')
  const options = connection === '' ? undefined : connectionOptions(connection)
  return {
    method: line.method,
    target: line.target,
    version: line.version,
    rawHeaders,
    size: line.size,
    contentLength: contentLength === undefined ? undefined : Number(contentLength),
    chunked,
    // RFC 9112 §9.3: `close` ends the connection after this exchange, and HTTP/1.0 without
    // `keep-alive` does; RFC 9110 §7.8: an upgrade is asked by Connection and Upgrade together.
    close:
      options?.includes('close') === true ||
      (line.version !== '1.1' && options?.includes('keep-alive') !== true),
    upgrade: upgradeField && options?.includes('upgrade') === true,
  }
}

/** `text` from `start` without the optional whitespace (SP, HTAB) around a field value. */
function trimOws(text: string, start: number): string {
  let from = start
  let to = text.length
  while (from < to && isOws(text.charCodeAt(from))) from++
  while (to > from && isOws(text.charCodeAt(to - 1))) to--
  return text.slice(from, to)
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09
}

/** The options a Connection field lists (RFC 9110 §7.6.1), lower case. */
function connectionOptions(connection: string): string[] {
  return connection
    .toLowerCase()
    .split(',')
    .map((t) => t.trim())
}

function bareCr(): Refusal {
  return refuse(400, 'bare CR in the request head')
}

function refuse(status: number, message: string): Refusal {
  return { status, message, close: true }
}
