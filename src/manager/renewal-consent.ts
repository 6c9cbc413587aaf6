import { AbortedError } from '../errors.js'
import type { Managed } from './managed-name.js'

/**
 * How often a name whose renewal the on-demand policy declined is asked about again (the policy's
 * own answer cache still applies), until the policy allows it or its certificate expires.
 */
export const DECLINED_RECHECK_MS = 60 * 60_000

/** The on-demand policy's answer about renewing a name: see {@link ManageOptions.mayRenew}. */
export interface RenewalConsent {
  allowed: boolean
  /** Which rule decided (the ask status, the allow-list), for the `renewal_declined` event. */
  reason: string
}

/** Options of `CertificateManager.manage`. */
export interface ManageOptions {
  /** Asked once, only when storage has no valid certificate: may a first one be issued now? */
  mayIssue?: () => boolean
  /**
   * Asked before each renewal by the renewal loop (not by `renewNow` or `renewDue`, which an
   * operator runs): when it denies, the certificate is not renewed, keeps serving until it expires,
   * and is then released. A rejection counts as a denial (fail-closed).
   */
  mayRenew?: (signal: AbortSignal) => Promise<RenewalConsent>
}

/**
 * Asks `mayRenew` (an on-demand name) before a renewal; a rejection is a denial (fail-closed). The
 * answer comes with `firstDenial` set when it starts a streak of denials: what the manager reports,
 * once. Allowed for a configured name and for one without a certificate yet (that issuance was
 * allowed at its handshake). Throws AbortedError when `signal` aborted meanwhile.
 */
export async function askRenewal(
  m: Managed,
  signal: AbortSignal,
): Promise<RenewalConsent & { firstDenial: boolean }> {
  if (m.mayRenew === undefined || m.schedule.served === undefined) {
    return { allowed: true, reason: 'not on demand', firstDenial: false }
  }
  const consent = await m.mayRenew(signal).catch((err: unknown): RenewalConsent => ({
    allowed: false,
    reason: `the check failed: ${err instanceof Error ? err.message : String(err)}`,
  }))
  if (signal.aborted) throw new AbortedError(signal.reason)
  const firstDenial = !consent.allowed && !m.declined
  m.declined = !consent.allowed
  return { ...consent, firstDenial }
}

/** Until the next question about a declined name: the recheck interval, or its expiry if sooner. */
export function declinedWait(m: Managed, now: number): number {
  const left = (m.schedule.served?.notAfter.getTime() ?? 0) - now
  return Math.max(0, Math.min(DECLINED_RECHECK_MS, left))
}
