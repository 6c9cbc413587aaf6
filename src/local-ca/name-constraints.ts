import { canonicalIp } from '../crypto/ip.js'

/** RFC 5280 §4.2.1.10: id-ce-nameConstraints. */
export const NAME_CONSTRAINTS_OID = '2.5.29.30'

/** The names a local CA certificate may carry, as shown to users in errors and help. */
export const LOCAL_NAMES_DESCRIPTION = 'localhost, *.localhost, *.test, 127.0.0.0/8 and ::1'

/**
 * The permitted dNSName subtrees. RFC 5280 §4.2.1.10: "any DNS name that can be constructed by simply
 * adding zero or more labels to the left-hand side of the name satisfies the name constraint", so
 * `localhost` already covers `app.localhost` (OpenSSL's nc_dns does this; the integration tests check
 * it with `openssl verify`). `.localhost` is redundant under that rule but kept for verifiers that
 * read a leading dot as "subdomains only" (the RFC 5280 form for URIs and mailboxes).
 * `test` (RFC 2606 §2) covers every name under `.test`.
 */
const PERMITTED_DNS = ['localhost', '.localhost', 'test'] as const

/** The permitted iPAddress subtrees as address + mask bytes (RFC 5280 §4.2.1.10: 8 or 32 octets). */
const PERMITTED_IP: readonly Uint8Array[] = [
  new Uint8Array([127, 0, 0, 0, 255, 0, 0, 0]),
  new Uint8Array([...new Array<number>(15).fill(0), 1, ...new Array<number>(16).fill(0xff)]),
]

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * True when `name` (a DNS name, a `*.` wildcard, or an IPv4/IPv6 address, brackets allowed) lies
 * inside the local CA's name constraints: `localhost`, `*.localhost`, `*.test`, `127.0.0.0/8`, `::1`.
 * Pure: no DNS lookups, so `app.test` counts even though nothing resolves it.
 */
export function isLocalName(name: string): boolean {
  if (typeof name !== 'string') return false
  const unbracketed = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name
  const ip = canonicalIp(unbracketed)
  if (ip !== undefined) {
    // IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is deliberately not local: the ::1/128 subtree does not
    // cover it, so a verifier would reject the certificate anyway.
    return ip.includes('.') && !ip.includes(':') ? ip.startsWith('127.') : ip === '::1'
  }
  const lower = name.toLowerCase().replace(/\.$/, '')
  const wildcard = lower.startsWith('*.')
  const labels = (wildcard ? lower.slice(2) : lower).split('.')
  if (!labels.every((label) => LABEL.test(label))) return false
  const last = labels[labels.length - 1]
  // The bare TLD `test` is inside the constraint but is no one's development host name.
  return last === 'localhost' || (last === 'test' && (wildcard || labels.length >= 2))
}

/**
 * The DER value of the local CA's NameConstraints extension (RFC 5280 §4.2.1.10):
 *
 *     NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees }
 *     GeneralSubtree  ::= SEQUENCE { base GeneralName }   -- minimum 0 (default), no maximum
 *
 * dNSName is `[2] IMPLICIT IA5String`, iPAddress `[7] IMPLICIT OCTET STRING`. @peculiar/x509 has no
 * class for this extension, and it is small enough to encode directly.
 */
export function nameConstraintsDer(): Uint8Array {
  const subtrees = [
    ...PERMITTED_DNS.map((dns) => tlv(0x30, tlv(0x82, Buffer.from(dns, 'ascii')))),
    ...PERMITTED_IP.map((ip) => tlv(0x30, tlv(0x87, ip))),
  ]
  return tlv(0x30, tlv(0xa0, concat(subtrees)))
}

/** A DER tag-length-value with the definite length form (X.690 §8.1.3). */
function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length
  const length =
    n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : undefined
  if (!length) throw new RangeError(`DER value of ${n} bytes is too long for this encoder`)
  return concat([new Uint8Array([tag, ...length]), value])
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}
