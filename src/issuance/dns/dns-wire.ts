/**
 * DNS message encoding and decoding (RFC 1035 §4.1), just enough for RFC 2136 dynamic updates, SOA
 * lookups and TSIG (RFC 8945). Pure functions over bytes: no sockets here.
 *
 * Names are written uncompressed (always allowed, RFC 1035 §4.1.4) and read with compression, since
 * servers compress their answers.
 */

/** RR TYPE values (RFC 1035 §3.2.2, RFC 8945 §4.2). */
export const RR_TYPE = Object.freeze({
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  TXT: 16,
  TSIG: 250,
  ANY: 255,
})

/** CLASS values. NONE and ANY carry RFC 2136 §2.5 update semantics. */
export const RR_CLASS = Object.freeze({ IN: 1, NONE: 254, ANY: 255 })

/** OPCODE values (RFC 1035 §4.1.1, RFC 2136 §1). */
export const OPCODE = Object.freeze({ QUERY: 0, UPDATE: 5 })

/** RCODE and TSIG error names (RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 8945 §3). */
const RCODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
})

/** `REFUSED`, `BADSIG`…, or `RCODE 42` for a code this module does not know. */
export function rcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE ${code}`
}

/** Header flag bits other than the ID and section counts (RFC 1035 §4.1.1). */
export interface DnsFlags {
  qr: boolean
  opcode: number
  aa: boolean
  tc: boolean
  rd: boolean
  ra: boolean
  rcode: number
}

export interface DnsQuestion {
  name: string
  type: number
  class: number
}

export interface DnsRecord {
  name: string
  type: number
  class: number
  ttl: number
  data: Uint8Array
}

export interface DnsMessage {
  id: number
  flags: DnsFlags
  /** The question section; the zone section of an UPDATE (RFC 2136 §2.3). */
  questions: DnsQuestion[]
  /** The answer section; prerequisites in an UPDATE. */
  answers: DnsRecord[]
  /** The authority section; the updates in an UPDATE. */
  authorities: DnsRecord[]
  additionals: DnsRecord[]
}

/** A decoded message plus where its last additional record starts, to strip a TSIG for verification. */
export interface DecodedMessage extends DnsMessage {
  /** Byte offset of the last additional record, or -1 when there is none. */
  lastAdditionalOffset: number
}

/** Largest UDP payload without EDNS (RFC 1035 §4.2.1); bigger messages go over TCP. */
export const MAX_UDP_SIZE = 512
/** Longest character-string in TXT rdata (RFC 1035 §3.3). */
const MAX_TXT_CHUNK = 255
/** Compression pointers followed before a name is declared a loop (a name has at most 127 labels). */
const MAX_NAME_POINTERS = 128

export const DEFAULT_FLAGS: Readonly<DnsFlags> = Object.freeze({
  qr: false,
  opcode: OPCODE.QUERY,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  rcode: 0,
})

/** Lowercases and adds the trailing dot: DNS names compare case-insensitively (RFC 4343 §3). */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower : `${lower}.`
}

/** Wire form of a name (RFC 1035 §3.1), uncompressed, case kept. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name
  const parts: Buffer[] = []
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'utf8')
      if (bytes.length === 0 || bytes.length > 63) {
        throw new RangeError(`DNS name "${name}" has a label of ${bytes.length} bytes; use 1 to 63`)
      }
      parts.push(Buffer.from([bytes.length]), bytes)
    }
  }
  parts.push(Buffer.from([0]))
  const wire = Buffer.concat(parts)
  if (wire.length > 255) throw new RangeError(`DNS name "${name}" is longer than 255 bytes`)
  return wire
}

/** TXT rdata holding `value` as one logical string, split into 255-byte character-strings. */
export function encodeTxt(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8')
  const parts: Buffer[] = []
  for (let i = 0; i < bytes.length || i === 0; i += MAX_TXT_CHUNK) {
    const chunk = bytes.subarray(i, i + MAX_TXT_CHUNK)
    parts.push(Buffer.from([chunk.length]), chunk)
  }
  return Buffer.concat(parts)
}

/** The character-strings of TXT rdata, in order. */
export function decodeTxt(data: Uint8Array): string[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const out: string[] = []
  for (let i = 0; i < buf.length;) {
    const len = buf[i] ?? 0
    if (i + 1 + len > buf.length) throw new RangeError('TXT rdata has a truncated character-string')
    out.push(buf.toString('utf8', i + 1, i + 1 + len))
    i += 1 + len
  }
  return out
}

function encodeFlags(f: DnsFlags): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.rcode & 0xf)
  )
}

function decodeFlags(v: number): DnsFlags {
  return {
    qr: (v & 0x8000) !== 0,
    opcode: (v >> 11) & 0xf,
    aa: (v & 0x0400) !== 0,
    tc: (v & 0x0200) !== 0,
    rd: (v & 0x0100) !== 0,
    ra: (v & 0x0080) !== 0,
    rcode: v & 0xf,
  }
}

/** Wire form of one resource record (RFC 1035 §4.1.3). */
export function encodeRecord(rr: DnsRecord): Buffer {
  const fixed = Buffer.alloc(10)
  fixed.writeUInt16BE(rr.type, 0)
  fixed.writeUInt16BE(rr.class, 2)
  fixed.writeUInt32BE(rr.ttl >>> 0, 4)
  fixed.writeUInt16BE(rr.data.length, 8)
  return Buffer.concat([encodeName(rr.name), fixed, rr.data])
}

/** Wire form of a whole message; section counts come from the array lengths. */
export function encodeMessage(msg: DnsMessage): Buffer {
  const header = Buffer.alloc(12)
  header.writeUInt16BE(msg.id, 0)
  header.writeUInt16BE(encodeFlags(msg.flags), 2)
  header.writeUInt16BE(msg.questions.length, 4)
  header.writeUInt16BE(msg.answers.length, 6)
  header.writeUInt16BE(msg.authorities.length, 8)
  header.writeUInt16BE(msg.additionals.length, 10)
  const questions = msg.questions.map((q) => {
    const tail = Buffer.alloc(4)
    tail.writeUInt16BE(q.type, 0)
    tail.writeUInt16BE(q.class, 2)
    return Buffer.concat([encodeName(q.name), tail])
  })
  const records = [...msg.answers, ...msg.authorities, ...msg.additionals].map(encodeRecord)
  return Buffer.concat([header, ...questions, ...records])
}

/** Reads a possibly compressed name at `offset` (RFC 1035 §4.1.4); `end` is just past it in place. */
export function decodeName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = []
  let pos = offset
  let end = -1
  for (let pointers = 0; ;) {
    const len = byteAt(buf, pos)
    if (len === 0) {
      if (end < 0) end = pos + 1
      break
    }
    if ((len & 0xc0) === 0xc0) {
      if (++pointers > MAX_NAME_POINTERS) throw new RangeError('DNS name has a compression loop')
      if (end < 0) end = pos + 2
      pos = ((len & 0x3f) << 8) | byteAt(buf, pos + 1)
      continue
    }
    if ((len & 0xc0) !== 0)
      throw new RangeError(`DNS name has an unknown label type 0x${len.toString(16)}`)
    if (pos + 1 + len > buf.length)
      throw new RangeError('DNS name runs past the end of the message')
    labels.push(buf.toString('utf8', pos + 1, pos + 1 + len))
    pos += 1 + len
  }
  return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`, end }
}

function byteAt(buf: Buffer, pos: number): number {
  const b = buf[pos]
  if (b === undefined) throw new RangeError('DNS message is truncated')
  return b
}

function decodeRecord(buf: Buffer, offset: number): { rr: DnsRecord; end: number } {
  const { name, end } = decodeName(buf, offset)
  if (end + 10 > buf.length) throw new RangeError('DNS record header is truncated')
  const length = buf.readUInt16BE(end + 8)
  if (end + 10 + length > buf.length) throw new RangeError('DNS record data is truncated')
  const rr: DnsRecord = {
    name,
    type: buf.readUInt16BE(end),
    class: buf.readUInt16BE(end + 2),
    ttl: buf.readUInt32BE(end + 4),
    data: buf.subarray(end + 10, end + 10 + length),
  }
  return { rr, end: end + 10 + length }
}

/** Parses a message. Throws RangeError on malformed input (truncated, pointer loops). */
export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 12)
    throw new RangeError(`DNS message of ${buf.length} bytes is shorter than its header`)
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at))
  let pos = 12
  const questions: DnsQuestion[] = []
  for (let i = 0; i < (counts[0] ?? 0); i++) {
    const { name, end } = decodeName(buf, pos)
    if (end + 4 > buf.length) throw new RangeError('DNS question is truncated')
    questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) })
    pos = end + 4
  }
  const sections: DnsRecord[][] = [[], [], []]
  let lastAdditionalOffset = -1
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < (counts[s + 1] ?? 0); i++) {
      if (s === 2) lastAdditionalOffset = pos
      const { rr, end } = decodeRecord(buf, pos)
      sections[s]?.push(rr)
      pos = end
    }
  }
  return {
    id: buf.readUInt16BE(0),
    flags: decodeFlags(buf.readUInt16BE(2)),
    questions,
    answers: sections[0] ?? [],
    authorities: sections[1] ?? [],
    additionals: sections[2] ?? [],
    lastAdditionalOffset,
  }
}
