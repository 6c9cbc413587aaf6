import type { Clock } from '../clock.js'
import type { Storage } from '../storage/storage.js'
import type { Issuer } from './issuer.js'
import type { Managed } from './managed-name.js'
import { needsRenewal } from './renewal-policy.js'
import {
  loadServable,
  optional,
  storeIssued,
  type ServedCertificate,
} from './served-certificate.js'
import { certificateKeys } from './storage-keys.js'

/** How long issuance waits for the storage lock held by another process issuing the same name. */
export const ISSUE_LOCK_WAIT_MS = 5 * 60_000

/** What one issuance under the lock gave: a new certificate, or another instance's, `adopted`. */
export interface LockedIssue {
  served: ServedCertificate
  adopted: boolean
  /** The CertID sent as `replaces`, when there was one. */
  replaces?: string
}

/**
 * Issues and stores under the name's storage lock. Unless forced, first re-reads storage after
 * getting the lock (the Storage.lock contract): when another instance renewed the certificate
 * meanwhile, that one is `adopted` instead of issuing again. `replaces` is the old CertID
 * (RFC 9773 §5), which issuers without ARI ignore.
 */
export async function issueLocked(
  deps: { storage: Storage; issuer: Issuer; clock: Clock },
  m: Managed,
  force: boolean,
  signal: AbortSignal,
): Promise<LockedIssue> {
  const { storage, issuer, clock } = deps
  const keys = certificateKeys(issuer.key, m.name)
  const lock = await storage.lock(`${keys.dir}/issue`, { waitMs: ISSUE_LOCK_WAIT_MS, signal })
  try {
    const current = m.schedule.served
    if (!force) {
      const stored = await loadServable(storage, issuer.key, m.name, clock.now())
      const now = new Date(clock.now())
      if (stored && stored.serialHex !== current?.serialHex && !needsRenewal(stored, now)) {
        return { served: stored, adopted: true }
      }
    }
    const replaces = optional('replaces', current?.certId)
    const pair = await issuer.issue(m.identifiers, { ...replaces, signal })
    const served = await storeIssued(storage, issuer.key, m.identifiers, pair, clock.now())
    return { served, adopted: false, ...replaces }
  } finally {
    await lock.release().catch(() => {})
  }
}
