/**
 * HTTP/1.1 message heads as the WebSocket tunnel reads and writes them on raw sockets (RFC 9112 §2-§5).
 * Heads are handled as latin1 so that every octet of a field value survives the round trip.
 */

/** Largest upstream response head accepted (status line and fields); more is a 502. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024

/** A parsed response head: RFC 9112 §4 status line and §5 field lines, in order. */
export interface ResponseHead {
  status: number
  reason: string
  fields: Array<[name: string, value: string]>
}

/** RFC 9110 §5.6.2 token. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Octets a field value may not hold (RFC 9110 §5.5): NUL, CR, LF. */
const BAD_VALUE = /[\0\r\n]/
/**
 * Control characters other than HTAB: refused in a reason phrase (RFC 9112 §4), and in the field
 * values our own HTTP/1.1 server reads and writes (RFC 9110 §5.5).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_OCTET = /[\0-\x08\x0a-\x1f\x7f]/
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: (.*))?$/

/** The offset just past the empty line that ends a head in `buf`, or -1 when it has not arrived. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf('\r\n\r\n', 0, 'latin1')
  return i === -1 ? -1 : i + 4
}

/**
 * Parses a response head (without its final empty line). Throws an Error saying what is wrong for
 * anything a proxy must not forward: obs-fold (RFC 9112 §5.2), whitespace before the colon (§5.1),
 * a bad field name, NUL or bare CR/LF in a value, a status line that is not HTTP/1.x.
 */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n')
  const match = STATUS_LINE.exec(lines[0] ?? '')
  if (match === null) throw new Error(`bad status line "${clip(lines[0] ?? '')}"`)
  const reason = match[2] ?? ''
  if (CONTROL_OCTET.test(reason)) throw new Error('control character in the reason phrase')
  const fields: Array<[string, string]> = []
  for (let i = 1; i < lines.length; i++) {
    fields.push(parseFieldLine(lines[i] as string))
  }
  return { status: Number(match[1]), reason, fields }
}

function parseFieldLine(line: string): [string, string] {
  if (line.startsWith(' ') || line.startsWith('\t')) throw new Error('obs-fold in a field')
  const colon = line.indexOf(':')
  const name = colon === -1 ? line : line.slice(0, colon)
  if (!TOKEN.test(name)) throw new Error(`bad field name "${clip(name)}"`)
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')
  if (BAD_VALUE.test(value)) throw new Error(`bad octet in field ${name}`)
  return [name, value]
}

/** The values of field `name` (case-insensitive), in order. */
export function fieldValues(head: ResponseHead, name: string): string[] {
  const lower = name.toLowerCase()
  return head.fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v)
}

/**
 * A response head re-serialised from its parsed form (never the upstream's raw bytes), without the
 * fields named in `drop` (lower case), with `extra` fields appended.
 */
export function serializeResponseHead(
  head: ResponseHead,
  drop: ReadonlySet<string>,
  extra: ReadonlyArray<[string, string]> = [],
): Buffer {
  let text = `HTTP/1.1 ${head.status} ${head.reason}\r\n`
  for (const [name, value] of head.fields) {
    if (!drop.has(name.toLowerCase())) text += `${name}: ${value}\r\n`
  }
  for (const [name, value] of extra) text += `${name}: ${value}\r\n`
  return Buffer.from(`${text}\r\n`, 'latin1')
}

/** Fields of a 101 that concern only the hop to the upstream. */
const DROP_FROM_101: ReadonlySet<string> = new Set(['keep-alive', 'proxy-connection'])
/** Hop-by-hop fields (RFC 9110 §7.6.1) of a relayed final answer; ours says `Connection: close`. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']

/** A 101 answer for the client: Connection and Upgrade kept, as the handshake needs them. */
export function serialize101Head(head: ResponseHead): Buffer {
  return serializeResponseHead(head, DROP_FROM_101)
}

/**
 * A final (non-101) answer for the client, whose connection closes after it: hop-by-hop fields and
 * those named in Connection removed (RFC 9110 §7.6.1), `Connection: close` added, and Content-Length
 * dropped when Transfer-Encoding is present (RFC 9112 §6.3). The body is relayed as framed.
 */
export function serializeFinalHead(head: ResponseHead): Buffer {
  const drop = new Set(HOP_BY_HOP)
  for (const option of fieldValues(head, 'connection').flatMap((v) => v.split(','))) {
    if (option.trim() !== '') drop.add(option.trim().toLowerCase())
  }
  if (fieldValues(head, 'transfer-encoding').length > 0) drop.add('content-length')
  return serializeResponseHead(head, drop, [['connection', 'close']])
}

/**
 * A request head. Throws a TypeError for a method, target or field that could split the message
 * (the proxy builds these from a parsed request, so this guards against a bug or a bad header rule).
 */
export function serializeRequestHead(
  method: string,
  target: string,
  headers: Readonly<Record<string, string | readonly string[]>>,
): Buffer {
  if (!TOKEN.test(method)) throw new TypeError(`bad request method "${clip(method)}"`)
  if (!/^[\x21-\x7e]+$/.test(target)) throw new TypeError(`bad request target "${clip(target)}"`)
  let text = `${method} ${target} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw new TypeError(`bad header name "${clip(name)}"`)
    for (const v of typeof value === 'string' ? [value] : value) {
      if (BAD_VALUE.test(v)) throw new TypeError(`bad octet in header ${name}`)
      text += `${name}: ${v}\r\n`
    }
  }
  return Buffer.from(`${text}\r\n`, 'latin1')
}

/** A one-line response (status, text body, `Connection: close`) for errors before a tunnel opens. */
export function minimalResponse(status: number, reason: string, body: string): Buffer {
  const bytes = Buffer.from(`${body}\n`, 'utf8')
  const head =
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
    `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes])
}

function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?')
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable
}
