import { GatehouseError } from '../errors.js'
import type { RenewalInfo } from './types.js'

/** RFC 9773 §4.3: clients should not poll ARI more often than this… */
export const MIN_ARI_RETRY_MS = 60_000
/** …and at least this often (RFC 9773 §4.3 suggests a day as a sane upper bound). */
export const MAX_ARI_RETRY_MS = 24 * 3600_000
/** RFC 9773 §4.3: without `Retry-After`, poll again in about six hours. */
export const DEFAULT_ARI_RETRY_MS = 6 * 3600_000

const CERT_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** RFC 9773 §4.1: the CertID is `base64url(AKI keyIdentifier) "." base64url(serial)`. */
export function assertCertId(certId: string): void {
  if (typeof certId !== 'string' || !CERT_ID.test(certId)) {
    throw new TypeError(
      `invalid ARI CertID ${JSON.stringify(certId)}; expected base64url(AKI).base64url(serial)`,
    )
  }
}

/** The renewalInfo resource URL for a CertID (RFC 9773 §4.2: the base URL, "/", the CertID). */
export function renewalInfoUrl(base: string, certId: string): string {
  return `${base.replace(/\/+$/, '')}/${certId}`
}

/** The next-poll delay: `Retry-After` clamped to [60 s, 24 h], six hours when absent. */
export function clampAriRetry(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined) return DEFAULT_ARI_RETRY_MS
  return Math.min(MAX_ARI_RETRY_MS, Math.max(MIN_ARI_RETRY_MS, retryAfterMs))
}

/** Checks the shape RFC 9773 §4.2 requires: a window whose start and end parse and are ordered. */
export function parseRenewalInfo(value: unknown, url: string): RenewalInfo {
  const window = (value as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)
    ?.suggestedWindow
  const start = typeof window?.start === 'string' ? Date.parse(window.start) : NaN
  const end = typeof window?.end === 'string' ? Date.parse(window.end) : NaN
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) {
    throw new GatehouseError(
      'ERR_ACME_PROTOCOL',
      `${url} sent no valid suggestedWindow (RFC 9773 §4.2): ${JSON.stringify(value).slice(0, 200)}`,
    )
  }
  return value as RenewalInfo
}
