import type { AcmeClient } from '../acme/client.js'
import { pemToDer } from '../crypto/pem.js'
import { GatehouseError } from '../errors.js'
import type { Storage } from '../storage/storage.js'
import { loadCertificate, saveCertificate, type CertificateMeta } from './certificate-store.js'

/** RFC 5280 §5.3.1 CRLReason codes, by the names `--reason` takes. 7 is unused in the RFC. */
export const REVOCATION_REASONS: Readonly<Record<string, number>> = Object.freeze({
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
})

/** Revokes a stored certificate with the account key (RFC 8555 §7.6) and records it in the metadata. */
export async function revokeStoredCertificate(
  storage: Storage,
  client: AcmeClient,
  directoryUrl: string,
  name: string,
  reasonName: string,
  signal?: AbortSignal,
): Promise<CertificateMeta> {
  const reason = REVOCATION_REASONS[reasonName]
  if (reason === undefined)
    throw new RangeError(
      `unknown revocation reason ${reasonName}; use one of ${Object.keys(REVOCATION_REASONS).join(', ')}`,
    )
  const stored = await loadCertificate(storage, directoryUrl, name)
  if (!stored)
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `no stored certificate named ${name} for ${directoryUrl}; see gatehouse certs list`,
    )
  await client.revokeCertificate(pemToDer(stored.certificatePem), {
    reason,
    ...(signal ? { signal } : {}),
  })
  const meta: CertificateMeta = {
    ...stored.meta,
    revoked: { at: new Date().toISOString(), reason },
  }
  await saveCertificate(storage, {
    meta,
    certificatePem: stored.certificatePem,
    privateKeyPem: stored.privateKeyPem,
  })
  return meta
}
