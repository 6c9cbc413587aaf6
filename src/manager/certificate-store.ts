import type { Identifier } from '../acme/types.js'
import { parseCertificate } from '../crypto/certificate.js'
import type { Storage } from '../storage/storage.js'
import { readJson } from './account-store.js'
import { certificateKeys, certificatesPrefix } from './storage-keys.js'

/** What is stored beside each ACME certificate. */
export interface CertificateMeta {
  name: string
  identifiers: Identifier[]
  directoryUrl: string
  issuer?: string
  serialHex: string
  notBefore: string
  notAfter: string
  obtainedAt: string
  orderUrl: string
  certificateUrl: string
  keyType?: string
  profile?: string
  /** RFC 9773 CertID of this certificate, for renewalInfo and `replaces`. */
  certId?: string
  revoked?: { at: string; reason: number }
}

export interface StoredCertificate {
  meta: CertificateMeta
  certificatePem: string
  privateKeyPem: string
  keys: ReturnType<typeof certificateKeys>
}

/**
 * Saves a certificate: key first, then certificate, then metadata, each written atomically, so a crash
 * leaves either the old set or a complete new key beside the old certificate (the metadata, written
 * last, still describes the old certificate, and the pair is re-checked on load).
 */
export async function saveCertificate(
  storage: Storage,
  bundle: { meta: CertificateMeta; certificatePem: string; privateKeyPem: string },
): Promise<StoredCertificate> {
  const keys = certificateKeys(bundle.meta.directoryUrl, bundle.meta.name)
  await storage.put(keys.key, bundle.privateKeyPem, { private: true })
  await storage.put(keys.cert, bundle.certificatePem)
  await storage.put(keys.meta, JSON.stringify(bundle.meta, null, 2))
  return { ...bundle, keys }
}

export async function loadCertificate(
  storage: Storage,
  directoryUrl: string,
  name: string,
): Promise<StoredCertificate | undefined> {
  const keys = certificateKeys(directoryUrl, name)
  const [cert, key, meta] = await Promise.all([
    storage.get(keys.cert),
    storage.get(keys.key),
    readJson<CertificateMeta>(storage, keys.meta),
  ])
  if (!cert || !key || !meta) return undefined
  return {
    meta,
    certificatePem: Buffer.from(cert).toString('utf8'),
    privateKeyPem: Buffer.from(key).toString('utf8'),
    keys,
  }
}

/** Every stored ACME certificate of one CA, sorted by name. */
export async function listCertificates(
  storage: Storage,
  directoryUrl: string,
): Promise<CertificateMeta[]> {
  const out: CertificateMeta[] = []
  for (const dir of await storage.list(certificatesPrefix(directoryUrl))) {
    const part = dir.slice(dir.lastIndexOf('/') + 1)
    const meta = await readJson<CertificateMeta>(storage, `${dir}/${part}.json`)
    if (meta) out.push(meta)
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/** Metadata for a freshly issued certificate, read from the certificate itself. */
export function describeCertificate(
  certificatePem: string,
  init: Omit<CertificateMeta, 'issuer' | 'serialHex' | 'notBefore' | 'notAfter' | 'obtainedAt'> & {
    obtainedAt: Date
  },
): CertificateMeta {
  const info = parseCertificate(certificatePem)
  return {
    ...init,
    ...(info.issuerCommonName ? { issuer: info.issuerCommonName } : {}),
    serialHex: info.serialHex,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    obtainedAt: init.obtainedAt.toISOString(),
  }
}
