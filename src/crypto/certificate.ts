import {
  createHash,
  createPublicKey,
  X509Certificate as NodeX509,
  type KeyObject,
} from 'node:crypto'
import { GatehouseError } from '../errors.js'
import { certificateDer, readCertificateDerFields } from './certificate-der.js'
import { canonicalIp } from './ip.js'

/** What Gatehouse needs to know about a certificate to serve, match and renew it. */
export interface CertificateInfo {
  /** subjectAltName dNSName entries, as written (wildcards included), in certificate order. */
  dnsNames: string[]
  /** subjectAltName iPAddress entries, canonical text (see `canonicalIp`). */
  ipAddresses: string[]
  notBefore: Date
  notAfter: Date
  /** Serial number in lower-case hex without leading zero bytes, as `openssl x509 -serial` shows it. */
  serialHex: string
  /**
   * The serial's DER INTEGER content bytes in lower-case hex, keeping the leading `00` the DER adds
   * when the top bit is set (what ARI's CertID encodes, RFC 9773 §4.1).
   */
  serialDerHex: string
  subjectCommonName?: string
  issuerCommonName?: string
  /** The authorityKeyIdentifier keyIdentifier in lower-case hex (RFC 5280 §4.2.1.1), if present. */
  authorityKeyIdentifierHex?: string
  /** SHA-256 of the DER, lower-case hex, no separators. */
  sha256FingerprintHex: string
  /** basicConstraints cA (RFC 5280 §4.2.1.9). */
  isCa: boolean
  /** The subject public key as SPKI PEM. */
  publicKeyPem: string
}

/**
 * Parses one certificate: the first one of a PEM string, or DER bytes. Throws `ERR_CERTIFICATE`
 * when it is not a certificate.
 */
export function parseCertificate(pemOrDer: string | Uint8Array): CertificateInfo {
  const der = certificateDer(pemOrDer)
  const raw = readCertificateDerFields(der)
  let node: NodeX509
  try {
    // OpenSSL's parse is the arbiter of "is this a certificate" (signature algorithm, key, every
    // field our reader skips), and gives the key and basicConstraints.
    node = new NodeX509(der)
  } catch (err) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `cannot parse certificate: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const serialDerHex = Buffer.from(raw.serial).toString('hex')
  const info: CertificateInfo = {
    dnsNames: raw.dnsNames,
    ipAddresses: raw.ipAddresses.map(ipText),
    notBefore: raw.notBefore,
    notAfter: raw.notAfter,
    serialHex: serialDerHex.replace(/^(?:00)+(?=..)/, ''),
    serialDerHex,
    sha256FingerprintHex: createHash('sha256').update(der).digest('hex'),
    isCa: node.ca,
    publicKeyPem: node.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
  if (raw.subjectCommonName !== undefined) info.subjectCommonName = raw.subjectCommonName
  if (raw.issuerCommonName !== undefined) info.issuerCommonName = raw.issuerCommonName
  if (raw.authorityKeyIdentifier)
    info.authorityKeyIdentifierHex = Buffer.from(raw.authorityKeyIdentifier).toString('hex')
  return info
}

/** A 4- or 16-byte iPAddress as canonical text (see `canonicalIp`). */
function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16))
  const text = groups.join(':')
  return canonicalIp(text) ?? text
}

/**
 * True when the certificate's public key is the public half of `key` (a private or public key).
 * Compares SPKI encodings, so it works for every key type.
 */
export function certificateMatchesKey(certPem: string | Uint8Array, key: KeyObject): boolean {
  const der = certificateDer(certPem)
  let certKey: KeyObject
  try {
    certKey = new NodeX509(der).publicKey
  } catch (err) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `cannot parse certificate: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const ours = key.type === 'public' ? key : createPublicKey(key)
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' })
  return spki(certKey).equals(spki(ours))
}

/**
 * True when the certificate covers `name`, a host name or an IP address. IP addresses compare by
 * value (`2001:DB8::0:1` equals `2001:db8::1`) and only against iPAddress entries. Host names compare
 * case-insensitively, ignoring one trailing dot, with RFC 6125 §6.4.3 wildcards: `*` only as the
 * whole left-most label, matching exactly one non-empty label, so `*.example.com` covers
 * `a.example.com` but neither `example.com` nor `a.b.example.com`.
 */
export function coversName(
  info: Pick<CertificateInfo, 'dnsNames' | 'ipAddresses'>,
  name: string,
): boolean {
  if (typeof name !== 'string' || name.length === 0) return false
  const ip = canonicalIp(name)
  if (ip !== undefined) return info.ipAddresses.some((a) => canonicalIp(a) === ip)
  const host = normalizeHost(name)
  if (host.includes('*')) return false
  const dot = host.indexOf('.')
  const parent = dot > 0 ? host.slice(dot + 1) : undefined
  return info.dnsNames.some((pattern) => {
    const p = normalizeHost(pattern)
    if (p === host) return true
    return parent !== undefined && parent.length > 0 && p.startsWith('*.') && p.slice(2) === parent
  })
}

function normalizeHost(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}
