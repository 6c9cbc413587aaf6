/**
 * A minimal reader for DER (ITU-T X.690 §10): enough to walk an X.509 certificate without loading an
 * ASN.1 schema library. Loading @peculiar/x509 costs ~0.2 s of CPU, which a server starting with
 * thousands of certificates on disk should not pay before its first handshake; reading the handful
 * of fields Gatehouse needs (serial, validity, common names, subjectAltName, authorityKeyIdentifier)
 * takes a few microseconds. Building certificates and CSRs stays with @peculiar/x509.
 *
 * Every read is bounds-checked against its parent; anything that is not DER (indefinite lengths,
 * non-minimal lengths, multi-byte tags, a length past the end) throws a `DerError`.
 */

/** One TLV: its tag byte and where its content lies in the buffer. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number
  /** Offset of the first content octet. */
  start: number
  /** Offset just past the last content octet. */
  end: number
}

/** X.690 identifier octets Gatehouse reads. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const

/** Thrown for bytes that are not well-formed DER, or not the structure the caller expected. */
export class DerError extends Error {
  override name = 'DerError'
}

/** Reads the TLV at `offset`, which must end at or before `limit`. */
export function readElement(der: Uint8Array, offset: number, limit: number): DerElement {
  if (offset + 2 > limit) throw new DerError(`truncated element at offset ${offset}`)
  const tag = der[offset] as number
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at offset ${offset}`)
  let lengthByte = der[offset + 1] as number
  let start = offset + 2
  let length = lengthByte
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f
    // 0x80 is BER's indefinite length; more than 4 octets would exceed any buffer we read.
    if (count === 0 || count > 4) throw new DerError(`bad length octets at offset ${offset}`)
    if (start + count > limit) throw new DerError(`truncated length at offset ${offset}`)
    length = 0
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i] as number
      if (i === 0 && lengthByte === 0) throw new DerError(`non-minimal length at offset ${offset}`)
      length = length * 256 + lengthByte
    }
    if (length < 0x80) throw new DerError(`non-minimal length at offset ${offset}`)
    start += count
  }
  const end = start + length
  if (end > limit) throw new DerError(`element at offset ${offset} runs past its parent`)
  return { tag, start, end }
}

/** The elements directly inside a constructed element, in order. */
export function childrenOf(der: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = []
  for (let at = parent.start; at < parent.end;) {
    const child = readElement(der, at, parent.end)
    out.push(child)
    at = child.end
  }
  return out
}

/** Throws unless `element` has tag `tag`; returns it for chaining. */
export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined) throw new DerError(`${what} is missing`)
  if (element.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(element.tag)}`)
  }
  return element
}

/** The content octets of `element` (a view, not a copy). */
export function contentOf(der: Uint8Array, element: DerElement): Uint8Array {
  return der.subarray(element.start, element.end)
}

/** True when `element` is an OBJECT IDENTIFIER whose content octets are `oid`. */
export function isOid(der: Uint8Array, element: DerElement | undefined, oid: Uint8Array): boolean {
  if (element?.tag !== TAG.OID || element.end - element.start !== oid.length) return false
  for (let i = 0; i < oid.length; i++) if (der[element.start + i] !== oid[i]) return false
  return true
}

/**
 * A directory string (X.520) as text: UTF8String, PrintableString and IA5String as UTF-8,
 * TeletexString as Latin-1 (what OpenSSL does), BMPString as UTF-16BE, UniversalString as UTF-32BE.
 */
export function readString(der: Uint8Array, element: DerElement): string {
  const bytes = contentOf(der, element)
  switch (element.tag) {
    case TAG.UTF8_STRING:
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
      return Buffer.from(bytes).toString('utf8')
    case TAG.TELETEX_STRING:
      return Buffer.from(bytes).toString('latin1')
    case TAG.BMP_STRING:
      return Buffer.from(bytes).swap16().toString('utf16le')
    case TAG.UNIVERSAL_STRING: {
      let s = ''
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        s += String.fromCodePoint(Buffer.from(bytes).readUInt32BE(i))
      }
      return s
    }
    default:
      throw new DerError(`tag 0x${hex2(element.tag)} is not a string type`)
  }
}

/**
 * A UTCTime or GeneralizedTime in the forms RFC 5280 §4.1.2.5 allows (`YYMMDDHHMMSSZ`,
 * `YYYYMMDDHHMMSSZ`; UTCTime years 50–99 are 19xx).
 */
export function readTime(der: Uint8Array, element: DerElement): Date {
  const text = Buffer.from(contentOf(der, element)).toString('latin1')
  const utc = element.tag === TAG.UTC_TIME
  if (!utc && element.tag !== TAG.GENERALIZED_TIME) {
    throw new DerError(`tag 0x${hex2(element.tag)} is not a time`)
  }
  const match = (utc ? /^(\d{2})(\d{10})Z$/ : /^(\d{4})(\d{10})Z$/).exec(text)
  if (!match) throw new DerError(`time ${JSON.stringify(text)} is not in RFC 5280 form`)
  let year = Number(match[1])
  if (utc) year += year >= 50 ? 1900 : 2000
  const rest = match[2] as string
  const part = (i: number): number => Number(rest.slice(i, i + 2))
  const ms = Date.UTC(year, part(0) - 1, part(2), part(4), part(6), part(8))
  const date = new Date(ms)
  const [hour, minute, second] = [part(4), part(6), part(8)]
  if (
    date.getUTCMonth() !== part(0) - 1 ||
    date.getUTCDate() !== part(2) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new DerError(`time ${JSON.stringify(text)} is not a valid date`)
  }
  return date
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0')
}
