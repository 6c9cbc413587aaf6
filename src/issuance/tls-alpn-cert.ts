import { createHash, randomBytes, webcrypto } from 'node:crypto'
import { loadX509 } from '../crypto/load-x509.js'
import type { JsonGeneralName } from '../crypto/x509.js'
import type { Identifier } from '../acme/types.js'
import { systemClock, type Clock } from '../clock.js'
import { throwIfAborted } from '../errors.js'
import { canonicalIp } from '../crypto/ip.js'
import { exportPrivateKeyPem, generateKey } from '../crypto/keys.js'
import { toWebKeyPair } from '../crypto/web-key-pair.js'

/** RFC 8737 §3: the id-pe-acmeIdentifier extension. */
export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31'

/** Validators ignore the subject (RFC 8737 §3 checks only the SAN and the extension). */
const CHALLENGE_COMMON_NAME = 'Gatehouse acme-tls/1 challenge'
/** How far the validity starts in the past, so a validator whose clock runs behind still accepts it. */
const BACKDATE_MS = 60 * 60 * 1000
/** How long the certificate is valid; it only has to outlive one validation. */
const LIFETIME_MS = 7 * 24 * 60 * 60 * 1000

export interface TlsAlpnCertificateOptions {
  signal?: AbortSignal
  /** Source of "now" for the validity period. Default: the system clock. */
  clock?: Clock
}

/**
 * Builds the self-signed certificate a server presents for the `acme-tls/1` ALPN protocol
 * (RFC 8737 §3): a fresh P-256 key, a subjectAltName holding only the identifier being validated
 * (a dNSName, or an iPAddress for RFC 8738 §6 IP identifiers), and the critical acmeIdentifier
 * extension whose value is the DER OCTET STRING of SHA-256(keyAuthorization). A fresh key each time
 * keeps the challenge certificate unrelated to any key that serves real traffic.
 */
export async function createTlsAlpnCertificate(
  identifier: Identifier,
  keyAuthorization: string,
  options: TlsAlpnCertificateOptions = {},
): Promise<{ keyPem: string; certPem: string }> {
  const { signal, clock = systemClock } = options
  if (typeof keyAuthorization !== 'string' || keyAuthorization.length === 0) {
    throw new TypeError(
      'keyAuthorization must be a non-empty string ("<token>.<thumbprint>", RFC 8555 §8.1)',
    )
  }
  const san = subjectAltName(identifier)
  const x509 = await loadX509()
  throwIfAborted(signal)
  const key = await generateKey('ec256', signal ? { signal } : {})
  const { keys, signingAlgorithm } = await toWebKeyPair(key)
  throwIfAborted(signal)
  const now = clock.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialHex(),
      // RFC 5280 §4.1.2.4: the issuer (here equal to the subject) must not be empty.
      name: [{ CN: [CHALLENGE_COMMON_NAME] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + LIFETIME_MS),
      keys,
      signingAlgorithm,
      extensions: [
        new x509.SubjectAlternativeNameExtension([san], false),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.Extension(ACME_IDENTIFIER_OID, true, acmeIdentifierValue(keyAuthorization)),
      ],
    },
    webcrypto,
  )
  return { keyPem: exportPrivateKeyPem(key), certPem: cert.toString('pem') + '\n' }
}

/** `Authorization ::= OCTET STRING (SIZE (32))` holding SHA-256 of the key authorization (RFC 8737 §3). */
function acmeIdentifierValue(keyAuthorization: string): Uint8Array {
  const digest = createHash('sha256').update(keyAuthorization, 'utf8').digest()
  return new Uint8Array([0x04, digest.length, ...digest])
}

function subjectAltName(identifier: Identifier): JsonGeneralName {
  const value: unknown = identifier?.value
  if (identifier?.type === 'dns' && typeof value === 'string' && value.length > 0) {
    return { type: 'dns', value }
  }
  if (identifier?.type === 'ip') {
    const ip = canonicalIp(String(value))
    if (ip !== undefined) return { type: 'ip', value: ip }
  }
  throw new RangeError(
    `bad identifier ${JSON.stringify(identifier)}; use { type: "dns", value: host } or { type: "ip", value: address }`,
  )
}

/** 16 random bytes, top bit clear so the INTEGER is positive without padding (RFC 5280 §4.1.2.2). */
function randomSerialHex(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01
  return bytes.toString('hex')
}
