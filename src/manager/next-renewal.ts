import {
  renewalTime,
  SHORT_LIVED_THRESHOLD_MS,
  type CertificateValidity,
} from './renewal-policy.js'
import type { RenewalRecord } from './renewal-record.js'

/** When a stored certificate renews next, and why, as `gatehouse certs list` explains it. */
export interface NextRenewal {
  at: Date
  /**
   * `ari`: inside the CA's suggested window (RFC 9773 §4.2); `lifetime`: at a fraction of the
   * validity; `retry`: the next attempt after failures.
   */
  reason: 'ari' | 'lifetime' | 'retry'
  /** The ARI window, for `ari`. */
  window?: { start: Date; end: Date }
  /** The lifetime rule, for `lifetime`: `2/3` (or `1/2` for short-lived certificates). */
  fraction?: '2/3' | '1/2'
  /** Consecutive failures, for `retry`. */
  failures?: number
}

/**
 * Explains the next renewal of `cert` from what the manager recorded (see {@link RenewalRecord}):
 * the retry time while failing, else the recorded ARI window and drawn time when the record is
 * about this very certificate (same serial), else the renewal time the manager would compute by
 * lifetime, unjittered (the manager adds ±1% of jitter, which only it knows). Pure.
 */
export function nextRenewal(
  cert: CertificateValidity & { serialHex: string },
  record: RenewalRecord | undefined,
): NextRenewal {
  if (record && record.failures > 0 && record.nextAttempt !== undefined) {
    return { at: new Date(record.nextAttempt), reason: 'retry', failures: record.failures }
  }
  const current = record?.serialHex === cert.serialHex ? record : undefined
  if (current?.ari && current.reason === 'ari') {
    const window = { start: new Date(current.ari.start), end: new Date(current.ari.end) }
    const at = current.renewAt !== undefined ? new Date(current.renewAt) : window.start
    return { at, reason: 'ari', window }
  }
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime()
  const fraction = lifetime < SHORT_LIVED_THRESHOLD_MS ? '1/2' : '2/3'
  const at =
    current?.renewAt !== undefined
      ? new Date(current.renewAt)
      : renewalTime(cert, { random: () => 0.5 }).at
  return { at, reason: 'lifetime', fraction }
}
