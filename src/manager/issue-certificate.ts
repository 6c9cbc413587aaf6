import type { AcmeClient } from '../acme/client.js'
import type { Identifier } from '../acme/types.js'
import type { Clock } from '../clock.js'
import { systemClock } from '../clock.js'
import { certId } from '../acme/cert-id.js'
import { obtain, type ObtainOptions } from '../issuance/obtain.js'
import type { Storage } from '../storage/storage.js'
import {
  describeCertificate,
  saveCertificate,
  type StoredCertificate,
} from './certificate-store.js'
import { certificateKeys, certificateName } from './storage-keys.js'

export interface IssueOptions extends Omit<ObtainOptions, 'client'> {
  storage: Storage
  client: AcmeClient
  directoryUrl: string
  /** How long to wait for another process issuing the same certificate. Default 5 minutes. */
  lockWaitMs?: number
  clock?: Clock
}

/**
 * Obtains a certificate and stores it, holding the certificate's storage lock throughout, so two
 * processes asked for the same name at once issue it once and never interleave writes.
 */
export async function issueCertificate(
  identifiers: Identifier[],
  options: IssueOptions,
): Promise<StoredCertificate> {
  const { storage, directoryUrl } = options
  const clock = options.clock ?? systemClock
  const name = certificateName(identifiers)
  const lock = await storage.lock(`${certificateKeys(directoryUrl, name).dir}/issue`, {
    waitMs: options.lockWaitMs ?? 5 * 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
  })
  try {
    const result = await obtain(identifiers, options)
    const meta = describeCertificate(result.certificatePem, {
      name,
      identifiers: result.identifiers,
      directoryUrl,
      obtainedAt: new Date(clock.now()),
      orderUrl: result.orderUrl,
      certificateUrl: result.certificateUrl,
      ...(options.keyType ? { keyType: options.keyType } : {}),
      ...(result.profile ? { profile: result.profile } : {}),
      certId: certId(result.certificatePem),
    })
    return await saveCertificate(storage, {
      meta,
      certificatePem: result.certificatePem,
      privateKeyPem: result.privateKeyPem,
    })
  } finally {
    await lock.release()
  }
}
