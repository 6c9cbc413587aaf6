import { GatehouseError } from '../errors.js'
import type { Storage } from '../storage/storage.js'
import { readJson } from './account-store.js'
import { certificateKeys } from './storage-keys.js'

/**
 * What the certificate manager last knew about one name's renewal, kept beside the certificate
 * (`renewal.json`) so that another process (`gatehouse certs list`) can answer "when does it renew,
 * and what failed?" (STYLE.md §11). Written by the manager when it learns something: a certificate
 * issued, an issuance failed, the CA's ARI window changed. Never read back to drive the schedule:
 * a restarted manager asks the CA again rather than trust an old window.
 */
export interface RenewalRecord {
  /** The certificate the window and renewal time are about; absent while none was ever issued. */
  serialHex?: string
  /** When the manager plans to renew (ISO 8601): the drawn time inside the ARI window or by lifetime. */
  renewAt?: string
  reason: 'ari' | 'lifetime'
  /** The CA's suggested window for `serialHex` (RFC 9773 §4.2), as last answered. */
  ari?: { start: string; end: string; explanationURL?: string }
  /** Consecutive failed issuances; 0 after a success. */
  failures: number
  /** The last failure, while failing. */
  lastError?: { message: string; code?: string; at: string }
  /** When the manager tries again after `lastError` (ISO 8601). */
  nextAttempt?: string
  /** When this record was written (ISO 8601). */
  updatedAt: string
}

/** The stored record for `name` under `issuerKey`, or undefined when there is none or it is unreadable. */
export async function loadRenewalRecord(
  storage: Storage,
  issuerKey: string,
  name: string,
): Promise<RenewalRecord | undefined> {
  return readRenewalRecord(storage, certificateKeys(issuerKey, name).renewal)
}

/** The record stored at `key` (a `renewal.json`), or undefined when absent or unreadable. */
export async function readRenewalRecord(
  storage: Storage,
  key: string,
): Promise<RenewalRecord | undefined> {
  try {
    const record = await readJson<RenewalRecord>(storage, key)
    return isRecord(record) ? record : undefined
  } catch (err) {
    // A damaged record only loses history shown to operators: never fail a listing for it.
    if (err instanceof GatehouseError || err instanceof SyntaxError) return undefined
    throw err
  }
}

export async function saveRenewalRecord(
  storage: Storage,
  issuerKey: string,
  name: string,
  record: RenewalRecord,
): Promise<void> {
  await storage.put(certificateKeys(issuerKey, name).renewal, JSON.stringify(record, null, 2))
}

function isRecord(value: unknown): value is RenewalRecord {
  const r = value as Partial<RenewalRecord> | undefined
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.failures === 'number' &&
    (r.reason === 'ari' || r.reason === 'lifetime')
  )
}

/**
 * Writes records in the background, one at a time per name and the latest last, so the manager's
 * schedule never waits for storage; `flush()` waits for every write (the manager's `stop()`). A
 * failed write is dropped: the record is for operators, and the next change writes it again.
 */
export class RenewalRecordWriter {
  readonly #storage: Storage
  readonly #issuerKey: string
  readonly #tails = new Map<string, Promise<void>>()

  constructor(storage: Storage, issuerKey: string) {
    this.#storage = storage
    this.#issuerKey = issuerKey
  }

  write(name: string, record: RenewalRecord): void {
    const tail = (this.#tails.get(name) ?? Promise.resolve())
      .then(() => saveRenewalRecord(this.#storage, this.#issuerKey, name, record))
      .catch(() => {})
    this.#tails.set(name, tail)
  }

  async flush(): Promise<void> {
    await Promise.all(this.#tails.values())
  }
}
