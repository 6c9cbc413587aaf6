import { X509Certificate } from 'node:crypto'
import type { ManagedStatus } from '../manager/certificate-manager.js'
import type { CertEntry } from '../tls/certificate-cache.js'

/** One certificate as the status page and `status()` show it. */
export interface CertificateView {
  names: readonly string[]
  source: CertEntry['source']
  issuer?: string
  notAfter?: Date
  nextRenewal?: Date
  reason?: ManagedStatus['reason']
  lastError?: string
}

/** The view of a served certificate, before any manager status is added. */
export function viewOf(entry: CertEntry): CertificateView {
  let issuer: string | undefined
  try {
    // The issuer's CN for display; the full DN is long and mostly noise on a status page.
    const dn = new X509Certificate(entry.certificatePem).issuer
    issuer = /(?:^|\n)CN=(.*)/.exec(dn)?.[1] ?? dn
  } catch {
    issuer = undefined
  }
  return {
    names: entry.names,
    source: entry.source,
    notAfter: entry.notAfter,
    ...(issuer ? { issuer } : {}),
  }
}
