/**
 * Which of an upstream's response fields an HTTP/1.1 client gets, read from the bytes undici's parser
 * passed (names and values as Buffers): hop-by-hop fields and those named in Connection removed
 * (RFC 9110 §7.6.1), then those the route's rules drop. Names are compared as bytes, without a
 * string made of each field: ten Buffer-to-string conversions were ~0.6 µs of a proxied request
 * (BENCHMARKS.md). The strings path (forwardResponseHeaders) stays for HTTP/2, whose API takes an
 * object of strings.
 */
import { HOP_BY_HOP, type CompiledHeaderOps } from './forward-headers.js'

/** The fields to relay and what framing needs of them. */
export interface RelayedFields {
  /** Indices in `raw` of the names kept, in order (each value follows its name). */
  readonly kept: number[]
  /** Bytes of the kept fields written as `name: value\r\n`. */
  readonly bytes: number
  /** The Content-Length, once (repeats of the same value are not kept). */
  readonly contentLength: number | undefined
  /** A Date field is among those kept. */
  readonly date: boolean
}

/** RFC 9110 §8.6: Content-Length = 1*DIGIT; 15 digits keep it an exact number. */
const MAX_LENGTH_DIGITS = 15

/**
 * Picks the fields of `raw` (`[name, value, …]` as undici's parser passed them: names are tokens,
 * values free of control octets) to relay. Throws a TypeError for a Content-Length that is not one
 * number (RFC 9110 §8.6), which the relay must not frame a body by.
 */
export function relayedFields(raw: readonly Buffer[], ops: CompiledHeaderOps): RelayedFields {
  const listed = listedInConnection(raw)
  const drop = ops.dropList
  const kept: number[] = []
  let bytes = 0
  let contentLength: number | undefined
  let date = false
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer
    const value = raw[i + 1] as Buffer
    const n = name.length
    if (isHopByHopName(name) || (drop.length !== 0 && isOneOf(name, drop))) continue
    // Only when a Connection field names fields beyond the hop-by-hop ones (rare): as text.
    if (listed?.has(name.toString('latin1').toLowerCase()) === true) continue
    if (n === 14 && nameIs(name, 'content-length')) {
      const length = digits(value)
      if (length === contentLength) continue
      if (contentLength !== undefined) throw new TypeError('two different Content-Length values')
      contentLength = length
    } else if (n === 4 && nameIs(name, 'date')) date = true
    kept.push(i)
    bytes += n + value.length + 4
  }
  return { kept, bytes, contentLength, date }
}

/** A Content-Length value's number, read from its bytes (RFC 9110 §8.6: 1*DIGIT). */
function digits(value: Buffer): number {
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const d = (value[i] as number) - 0x30
    if (d < 0 || d > 9 || i === MAX_LENGTH_DIGITS) break
    n = n * 10 + d
    if (i === value.length - 1) return n
  }
  throw new TypeError(`bad Content-Length "${value.toString('latin1')}"`)
}

/** Whether the bytes of `name` are `lower` (a lower-case ASCII name), in any case. */
export function nameIs(name: Buffer, lower: string): boolean {
  if (name.length !== lower.length) return false
  for (let i = 0; i < name.length; i++) {
    const c = name[i] as number
    // ASCII letters fold to lower case; no other byte equals a lower-case letter once or-ed.
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false
  }
  return true
}

/** The {@link HOP_BY_HOP} names by length: most names have a length none of them has. */
const HOP_BY_HOP_BY_LENGTH: (string[] | undefined)[] = []
for (const hop of HOP_BY_HOP) (HOP_BY_HOP_BY_LENGTH[hop.length] ??= []).push(hop)

/** Whether `name` is one of `lowers` (lower-case names), in any case. */
function isOneOf(name: Buffer, lowers: readonly string[]): boolean {
  for (const lower of lowers) if (nameIs(name, lower)) return true
  return false
}

function isHopByHopName(name: Buffer): boolean {
  const candidates = HOP_BY_HOP_BY_LENGTH[name.length]
  return candidates !== undefined && isOneOf(name, candidates)
}

/** Names listed in Connection fields (lower case), undefined when there are none. */
function listedInConnection(raw: readonly Buffer[]): Set<string> | undefined {
  let tokens: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    if (!nameIs(raw[i] as Buffer, 'connection')) continue
    const field = raw[i + 1] as Buffer
    // What nearly every peer sends names nothing beyond the hop-by-hop set: not even read as text.
    if (nameIs(field, 'keep-alive') || nameIs(field, 'close')) continue
    for (const t of field.toString('latin1').toLowerCase().split(',')) {
      const token = t.trim()
      if (token) (tokens ??= new Set()).add(token)
    }
  }
  return tokens
}
