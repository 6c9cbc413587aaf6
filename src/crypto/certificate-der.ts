import { GatehouseError } from '../errors.js'
import {
  childrenOf,
  contentOf,
  DerError,
  expectTag,
  isOid,
  readElement,
  readString,
  readTime,
  TAG,
  type DerElement,
} from './der.js'
import { pemToDer } from './pem.js'

/**
 * The fields of a certificate Gatehouse serves, matches and renews by, read straight from its DER
 * (RFC 5280 §4.1). Byte fields are exactly as encoded: ARI's CertID (RFC 9773 §4.1) keeps the
 * serial's DER content octets, leading 0x00 included, which hex strings and big integers lose.
 */
export interface CertificateDerFields {
  /** The serialNumber INTEGER's content octets, including a leading 0x00 when the DER has one. */
  serial: Uint8Array
  /** The authorityKeyIdentifier extension's keyIdentifier (RFC 5280 §4.2.1.1), if present. */
  authorityKeyIdentifier?: Uint8Array
  notBefore: Date
  notAfter: Date
  /** The first commonName (2.5.4.3) of the subject, if any. */
  subjectCommonName?: string
  /** The first commonName of the issuer, if any. */
  issuerCommonName?: string
  /** subjectAltName dNSName entries (RFC 5280 §4.2.1.6), in certificate order. */
  dnsNames: string[]
  /** subjectAltName iPAddress entries as raw 4- or 16-byte addresses, in certificate order. */
  ipAddresses: Uint8Array[]
}

// OBJECT IDENTIFIER content octets (X.690 §8.19).
const OID_COMMON_NAME = Uint8Array.of(0x55, 0x04, 0x03) // 2.5.4.3
const OID_SUBJECT_ALT_NAME = Uint8Array.of(0x55, 0x1d, 0x11) // 2.5.29.17
const OID_AUTHORITY_KEY_ID = Uint8Array.of(0x55, 0x1d, 0x23) // 2.5.29.35

// Context-specific tags: GeneralName dNSName [2] and iPAddress [7] (RFC 5280 §4.2.1.6), AKI
// keyIdentifier [0] (§4.2.1.1), all IMPLICIT primitive; TBSCertificate version [0] and extensions
// [3], EXPLICIT constructed (§4.1).
const DNS_NAME = 0x82
const IP_ADDRESS = 0x87
const KEY_IDENTIFIER = 0x80
const VERSION = 0xa0
const EXTENSIONS = 0xa3

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/

/**
 * Accepts a PEM string (its first `CERTIFICATE` block; other blocks such as a key are skipped) or DER
 * bytes, and returns DER bytes.
 */
export function certificateDer(pemOrDer: string | Uint8Array): Uint8Array {
  if (pemOrDer instanceof Uint8Array) return pemOrDer
  if (typeof pemOrDer !== 'string') {
    throw new TypeError(`expected a PEM string or DER bytes, got ${typeof pemOrDer}`)
  }
  const block = CERTIFICATE_BLOCK.exec(pemOrDer)
  if (!block) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      'no "-----BEGIN CERTIFICATE-----" block found in the PEM text',
    )
  }
  try {
    return pemToDer(block[0])
  } catch (err) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `cannot read certificate PEM: ${(err as Error).message}`,
      { cause: err },
    )
  }
}

/** Reads the fields of a DER certificate; `ERR_CERTIFICATE` when it is not one. */
export function readCertificateDerFields(der: Uint8Array): CertificateDerFields {
  try {
    return readTbs(der)
  } catch (err) {
    if (!(err instanceof DerError)) throw err
    throw new GatehouseError('ERR_CERTIFICATE', `not a DER X.509 certificate: ${err.message}`, {
      cause: err,
    })
  }
}

/** RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }. */
function readTbs(der: Uint8Array): CertificateDerFields {
  const cert = expectTag(readElement(der, 0, der.length), TAG.SEQUENCE, 'Certificate')
  if (cert.end !== der.length) throw new DerError('bytes after the certificate')
  const tbs = expectTag(childrenOf(der, cert)[0], TAG.SEQUENCE, 'tbsCertificate')
  const fields = childrenOf(der, tbs)
  let i = fields[0]?.tag === VERSION ? 1 : 0
  const serial = expectTag(fields[i++], TAG.INTEGER, 'serialNumber')
  expectTag(fields[i++], TAG.SEQUENCE, 'signature')
  const issuer = expectTag(fields[i++], TAG.SEQUENCE, 'issuer')
  const validity = childrenOf(der, expectTag(fields[i++], TAG.SEQUENCE, 'validity'))
  const subject = expectTag(fields[i++], TAG.SEQUENCE, 'subject')
  expectTag(fields[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo')
  if (validity[0] === undefined || validity[1] === undefined) {
    throw new DerError('validity needs notBefore and notAfter')
  }
  const out: CertificateDerFields = {
    serial: contentOf(der, serial).slice(),
    notBefore: readTime(der, validity[0]),
    notAfter: readTime(der, validity[1]),
    dnsNames: [],
    ipAddresses: [],
  }
  const subjectCn = commonName(der, subject)
  if (subjectCn !== undefined) out.subjectCommonName = subjectCn
  const issuerCn = commonName(der, issuer)
  if (issuerCn !== undefined) out.issuerCommonName = issuerCn
  const extensions = fields.find((f) => f.tag === EXTENSIONS)
  if (extensions) readExtensions(der, extensions, out)
  return out
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue { type OID, value ANY }: the first CN. */
function commonName(der: Uint8Array, name: DerElement): string | undefined {
  for (const rdn of childrenOf(der, name)) {
    for (const attribute of childrenOf(der, expectTag(rdn, TAG.SET, 'RelativeDistinguishedName'))) {
      const [type, value] = childrenOf(der, attribute)
      if (value && isOid(der, type, OID_COMMON_NAME)) return readString(der, value)
    }
  }
  return undefined
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtensions(der: Uint8Array, wrapper: DerElement, out: CertificateDerFields): void {
  const list = expectTag(childrenOf(der, wrapper)[0], TAG.SEQUENCE, 'extensions')
  for (const extension of childrenOf(der, list)) {
    const parts = childrenOf(der, expectTag(extension, TAG.SEQUENCE, 'Extension'))
    const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue')
    if (isOid(der, parts[0], OID_SUBJECT_ALT_NAME)) readSubjectAltName(der, value, out)
    else if (isOid(der, parts[0], OID_AUTHORITY_KEY_ID)) readAuthorityKeyId(der, value, out)
  }
}

function readSubjectAltName(der: Uint8Array, value: DerElement, out: CertificateDerFields): void {
  const names = expectTag(readElement(der, value.start, value.end), TAG.SEQUENCE, 'GeneralNames')
  for (const name of childrenOf(der, names)) {
    if (name.tag === DNS_NAME)
      out.dnsNames.push(Buffer.from(contentOf(der, name)).toString('latin1'))
    else if (name.tag === IP_ADDRESS) {
      const length = name.end - name.start
      if (length !== 4 && length !== 16) throw new DerError(`iPAddress of ${length} bytes`)
      out.ipAddresses.push(contentOf(der, name).slice())
    }
  }
}

function readAuthorityKeyId(der: Uint8Array, value: DerElement, out: CertificateDerFields): void {
  const aki = expectTag(readElement(der, value.start, value.end), TAG.SEQUENCE, 'AuthorityKeyId')
  const id = childrenOf(der, aki).find((e) => e.tag === KEY_IDENTIFIER)
  if (id) out.authorityKeyIdentifier = contentOf(der, id).slice()
}
