/**
 * The certificate manager's lifecycle events (issue 3 §3, after certmagic's event catalogue). A
 * discriminated union on `type`, so `switch (event.type)` narrows. Every event names the managed
 * `name` and carries `at`, the manager's clock time when it happened.
 */

interface EventBase {
  /** The managed name (the certificate's only identifier). */
  name: string
  /** When it happened, by the manager's clock. */
  at: Date
}

/** A certificate that the manager now serves, as events describe it. */
export interface CertificateSummary {
  serialHex: string
  notBefore: Date
  notAfter: Date
  /** RFC 9773 §4.1 CertID, when the certificate has an authorityKeyIdentifier. */
  certId?: string
}

/** A valid certificate was found in storage and published (at start, or renewed by another instance). */
export interface LoadedEvent extends EventBase {
  type: 'loaded'
  certificate: CertificateSummary
}

/** A first certificate for the name was issued, stored and published. */
export interface ObtainedEvent extends EventBase {
  type: 'obtained'
  certificate: CertificateSummary
}

/** A replacement was issued, stored and published; the old one is no longer served. */
export interface RenewedEvent extends EventBase {
  type: 'renewed'
  certificate: CertificateSummary
  previous: CertificateSummary
  /** The `replaces` CertID sent to the CA (RFC 9773 §5), when there was one. */
  replaces?: string
}

/**
 * Issuing failed. `attempt` counts consecutive failures (1-based); the next try is at
 * `nextAttempt`. `hasCertificate` says whether an older certificate keeps serving meanwhile.
 */
export interface RenewalFailedEvent extends EventBase {
  type: 'renewal_failed'
  error: Error
  attempt: number
  nextAttempt: Date
  hasCertificate: boolean
}

/** The served certificate is close to expiry (see `isExpiringSoon`): renewals are failing. */
export interface ExpiringSoonEvent extends EventBase {
  type: 'expiring_soon'
  certificate: CertificateSummary
}

/**
 * A certificate obtained on demand is due for renewal and the on-demand policy, asked again, now
 * denies the name: it is not renewed and keeps serving until it expires (then `released`). Emitted
 * once per denial; asked again later, a renewal goes ahead if the policy allows the name again.
 */
export interface RenewalDeclinedEvent extends EventBase {
  type: 'renewal_declined'
  certificate: CertificateSummary
  /** Which rule denied: the ask status or error, the allow-list. */
  reason: string
}

/** A certificate whose renewal was declined expired: it is no longer served, nor the name managed. */
export interface ReleasedEvent extends EventBase {
  type: 'released'
  certificate: CertificateSummary
}

export type ManagerEvent =
  | LoadedEvent
  | ObtainedEvent
  | RenewedEvent
  | RenewalFailedEvent
  | ExpiringSoonEvent
  | RenewalDeclinedEvent
  | ReleasedEvent

/** Every event type, for exhaustive tests and filters. */
export const MANAGER_EVENT_TYPES: readonly ManagerEvent['type'][] = Object.freeze([
  'loaded',
  'obtained',
  'renewed',
  'renewal_failed',
  'expiring_soon',
  'renewal_declined',
  'released',
])
