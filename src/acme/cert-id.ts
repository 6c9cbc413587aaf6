import { GatehouseError } from '../errors.js'
import { certificateDer, readCertificateDerFields } from '../crypto/certificate-der.js'

/**
 * The ARI certificate identifier (RFC 9773 §4.1): the base64url (no padding) of the
 * authorityKeyIdentifier's keyIdentifier, a `.`, and the base64url of the serial number's DER
 * INTEGER content octets. The serial keeps its leading 0x00 when the DER has one (RFC 9773 §4.1's
 * example serial 0x87654321 encodes as `AIdlQyE`), which is why this reads the DER and never goes
 * through a number or a hex string.
 *
 * Throws `ERR_CERTIFICATE` when the certificate has no AKI keyIdentifier: without it there is no
 * CertID, and the caller should skip ARI for this certificate.
 */
export function certId(pemOrDer: string | Uint8Array): string {
  const fields = readCertificateDerFields(certificateDer(pemOrDer))
  if (!fields.authorityKeyIdentifier) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      'certificate has no authorityKeyIdentifier keyIdentifier, so it has no ARI CertID (RFC 9773 §4.1)',
    )
  }
  return certIdFromParts(fields.authorityKeyIdentifier, fields.serial)
}

/**
 * Builds a CertID from the AKI keyIdentifier bytes and the serial's DER INTEGER content octets
 * (leading 0x00 included when present).
 */
export function certIdFromParts(akiBytes: Uint8Array, serialContentBytes: Uint8Array): string {
  if (!(akiBytes instanceof Uint8Array) || akiBytes.length === 0) {
    throw new TypeError('certIdFromParts needs the keyIdentifier as non-empty Uint8Array')
  }
  if (!(serialContentBytes instanceof Uint8Array) || serialContentBytes.length === 0) {
    throw new TypeError('certIdFromParts needs the serial content octets as a non-empty Uint8Array')
  }
  return `${base64url(akiBytes)}.${base64url(serialContentBytes)}`
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}
