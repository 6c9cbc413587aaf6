/**
 * An {@link AccessLogEntry}'s JSON line encoded straight into a buffer, byte for byte what
 * `Buffer.from(accessLogFormatter(fields)(entry))` gives. Building the line as a string and then
 * encoding it cost ~1 µs a request (a template of some 30 pieces flattened, a regex test per string,
 * a number-to-text conversion, then a UTF-8 copy): the largest part of what logging added to a
 * proxied request (BENCHMARKS.md). Here each character is checked and stored in one pass.
 *
 * A string with anything JSON escapes or anything beyond ASCII is left to JSON.stringify and
 * `Buffer#write` (UTF-8); numbers that are not small non-negative integers (or, for the duration,
 * whole microseconds) are left to `String()`. Both give JSON.stringify's own text.
 */
import type { AccessLogEntry } from './access-log.js'

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1')

const TIME = ascii('{"time":')
const REMOTE = ascii(',"remote":')
const METHOD = ascii(',"method":')
const HOST = ascii(',"host":')
const PATH = ascii(',"path":')
const STATUS = ascii(',"status":')
const BYTES = ascii(',"bytes":')
const DURATION = ascii(',"duration_ms":')
const UPSTREAM = ascii(',"upstream":')
const PROTO = ascii(',"proto":')
/** The constant bytes of a line, the longest key set (with upstream) and `}\n`. */
const FIXED_BYTES =
  [TIME, REMOTE, METHOD, HOST, PATH, STATUS, BYTES, DURATION, UPSTREAM, PROTO].reduce(
    (n, key) => n + key.length,
    0,
  ) + 2

/** Below 10^15 a duration's microseconds are exact and print without an exponent. */
const MICROS_LIMIT = 1e15

/**
 * Most bytes {@link encodeEntryLine} can write for `entry`: 6 a UTF-16 unit (`\u0000`, or a lone
 * surrogate's escape) and quotes for each string, 24 for each number (JSON's longest).
 */
export function entryLineBound(entry: AccessLogEntry, extra: Uint8Array): number {
  const strings =
    entry.time.length +
    entry.remote.length +
    entry.method.length +
    entry.host.length +
    entry.path.length +
    (entry.upstream?.length ?? 0) +
    entry.proto.length
  return FIXED_BYTES + 6 * strings + 2 * 7 + 3 * 24 + extra.length
}

/**
 * Writes the line (newline included) into `buf` at `at` and returns where it ends. `buf` must have
 * {@link entryLineBound} bytes of room; `extra` is the UTF-8 of the members added to every line
 * (`,"worker":2`, or nothing).
 */
export function encodeEntryLine(
  buf: Buffer,
  at: number,
  entry: AccessLogEntry,
  extra: Uint8Array,
): number {
  let i = putBytes(buf, at, TIME)
  i = putString(buf, i, entry.time)
  i = putBytes(buf, i, REMOTE)
  i = putString(buf, i, entry.remote)
  i = putBytes(buf, i, METHOD)
  i = putString(buf, i, entry.method)
  i = putBytes(buf, i, HOST)
  i = putString(buf, i, entry.host)
  i = putBytes(buf, i, PATH)
  i = putString(buf, i, entry.path)
  i = putBytes(buf, i, STATUS)
  i = putCount(buf, i, entry.status)
  i = putBytes(buf, i, BYTES)
  i = putCount(buf, i, entry.bytes)
  i = putBytes(buf, i, DURATION)
  i = putMillis(buf, i, entry.duration_ms)
  if (entry.upstream !== undefined) {
    i = putBytes(buf, i, UPSTREAM)
    i = putString(buf, i, entry.upstream)
  }
  i = putBytes(buf, i, PROTO)
  i = putString(buf, i, entry.proto)
  i = putBytes(buf, i, extra)
  buf[i++] = 0x7d // }
  buf[i++] = 0x0a // \n
  return i
}

// A loop, not Buffer#set: for a few bytes the call into the runtime costs more than the copy.
function putBytes(buf: Buffer, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) buf[at + k] = bytes[k] as number
  return at + bytes.length
}

/** A JSON string: quoted printable ASCII as it is, anything else as JSON.stringify writes it. */
function putString(buf: Buffer, at: number, s: string): number {
  buf[at] = 0x22
  let i = at + 1
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    // RFC 8259 §7: quote, reverse solidus and controls are escaped; past ASCII is UTF-8 (and a lone
    // surrogate escaped, ES2019): both left to JSON.stringify and Buffer#write.
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7f)
      return at + buf.write(JSON.stringify(s), at)
    buf[i++] = c
  }
  buf[i] = 0x22
  return i + 1
}

/** A count (status, bytes): digits for a non-negative safe integer, else JSON's text of it. */
function putCount(buf: Buffer, at: number, n: number): number {
  if (!(n >= 0 && Number.isSafeInteger(n))) return putText(buf, at, n)
  return putDigits(buf, at, n)
}

/**
 * Milliseconds rounded to the microsecond, as `String(micros / 1000)` writes them: the integer
 * part, then up to three decimals without trailing zeros. Below 10^15 microseconds that decimal is
 * the shortest that reads back as the number, which is what JSON writes (ECMA-262 §6.1.6.1.20).
 */
function putMillis(buf: Buffer, at: number, ms: number): number {
  const micros = Math.round(ms * 1000)
  if (!(micros >= 0 && micros < MICROS_LIMIT && micros / 1000 === ms)) return putText(buf, at, ms)
  const whole = Math.floor(micros / 1000)
  let i = putDigits(buf, at, whole)
  let frac = micros - whole * 1000
  if (frac === 0) return i
  buf[i++] = 0x2e // .
  let scale = 100
  while (frac > 0) {
    const digit = Math.floor(frac / scale)
    buf[i++] = 0x30 + digit
    frac -= digit * scale
    scale /= 10
  }
  return i
}

function putDigits(buf: Buffer, at: number, n: number): number {
  let end = at + 1
  for (let p = 10; p <= n; p *= 10) end++
  let v = n
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(v / 10)
    buf[i] = 0x30 + (v - q * 10)
    v = q
  }
  return end
}

/** JSON's text of a number: `null` when it is not finite, else what String() gives. */
function putText(buf: Buffer, at: number, n: number): number {
  return at + buf.write(Number.isFinite(n) ? String(n) : 'null', at, 'latin1')
}
