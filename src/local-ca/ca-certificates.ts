import { randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import type { Identifier } from '../acme/types.js'
import { keyTypeOf } from '../crypto/keys.js'
import { toWebKeyPair } from '../crypto/web-key-pair.js'
import { loadX509, type X509 } from '../crypto/load-x509.js'
import { NAME_CONSTRAINTS_OID, nameConstraintsDer } from './name-constraints.js'

/** The root's Organization, so a user looking through a trust store sees where it came from. */
export const ROOT_ORGANIZATION = 'Gatehouse local development CA'
/** Leaves carry this Organization, after mkcert's "mkcert development certificate". */
export const LEAF_ORGANIZATION = 'Gatehouse development certificate'
/** Ten years: long enough that nobody has to re-trust a root during a project's life. */
export const ROOT_VALIDITY_DAYS = 3653
/**
 * How far validity starts in the past, so a peer whose clock runs a little behind (a VM, a phone on
 * the LAN) still accepts a certificate issued a moment ago.
 */
const BACKDATE_MS = 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

/**
 * A self-signed ECDSA root (RFC 5280 §4.2.1.9 cA with pathLenConstraint 0: it signs leaves only) whose
 * critical NameConstraints (§4.2.1.10) permit only local names, so a leaked root key cannot sign for
 * a real site: every verifier that honours constraints on trust anchors (OpenSSL, Chromium, NSS)
 * rejects such a leaf.
 */
export async function createRootCertificate(key: KeyObject, now: number): Promise<string> {
  const x509 = await loadX509()
  const { keys, signingAlgorithm } = await toWebKeyPair(key)
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialHex(),
      name: [
        { CN: [`Gatehouse Local CA ${randomBytes(3).toString('hex')}`] },
        { O: [ROOT_ORGANIZATION] },
      ],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + ROOT_VALIDITY_DAYS * DAY_MS),
      keys,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        new x509.Extension(NAME_CONSTRAINTS_OID, true, nameConstraintsDer()),
      ],
    },
    webcrypto,
  )
  return cert.toString('pem') + '\n'
}

export interface LeafRequest {
  identifiers: Identifier[]
  leafKey: KeyObject
  rootPem: string
  rootKey: KeyObject
  now: number
  validityDays: number
}

/**
 * A TLS server leaf (RFC 5280 §4.2.1.12 serverAuth) for the identifiers, signed by the root. The
 * authorityKeyIdentifier repeats the root's subjectKeyIdentifier (§4.2.1.1) so verifiers find the
 * issuer by key. It never outlives the root.
 */
export async function createLeafCertificate(request: LeafRequest): Promise<string> {
  const { identifiers, leafKey, rootPem, rootKey, now, validityDays } = request
  const x509 = await loadX509()
  const root = new x509.X509Certificate(rootPem)
  const ski = root.getExtension(x509.SubjectKeyIdentifierExtension)
  if (!ski) throw new TypeError('the local CA root has no subjectKeyIdentifier')
  const leaf = await toWebKeyPair(leafKey)
  const signer = await toWebKeyPair(rootKey)
  const firstDns = identifiers.find((id) => id.type === 'dns')?.value
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: [
        { O: [LEAF_ORGANIZATION] },
        ...(firstDns !== undefined && firstDns.length <= 64 ? [{ CN: [firstDns] }] : []),
      ],
      issuer: root.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + validityDays * DAY_MS, root.notAfter.getTime())),
      publicKey: leaf.keys.publicKey,
      signingKey: signer.keys.privateKey,
      signingAlgorithm: signer.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(leafKeyUsage(x509, leafKey), true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          identifiers.map((id) => ({ type: id.type, value: id.value })),
          false,
        ),
        new x509.AuthorityKeyIdentifierExtension(ski.keyId, false),
        await x509.SubjectKeyIdentifierExtension.create(leaf.keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  )
  return cert.toString('pem') + '\n'
}

/**
 * digitalSignature for (EC)DHE handshakes; an RSA key also gets keyEncipherment, which TLS 1.2 RSA
 * key exchange needs (RFC 5246 §7.4.2) and which old clients still pick.
 */
function leafKeyUsage(x509: X509, key: KeyObject): number {
  const rsa = keyTypeOf(key)?.startsWith('rsa') ?? false
  return x509.KeyUsageFlags.digitalSignature | (rsa ? x509.KeyUsageFlags.keyEncipherment : 0)
}

/** 16 random bytes, top bit clear so the INTEGER is positive without padding (RFC 5280 §4.1.2.2). */
function randomSerialHex(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01
  return bytes.toString('hex')
}
