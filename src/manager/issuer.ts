import type { Identifier } from '../acme/types.js'

/** What an {@link Issuer} hands back: the leaf first, then its intermediates, and the leaf's key. */
export interface IssuedPair {
  /** PEM: the leaf, then the intermediates; never the root. */
  certificatePem: string
  /** PKCS#8 PEM of the leaf's private key. */
  privateKeyPem: string
}

/** The CA's advice on when to renew one certificate (RFC 9773 §4.2). */
export interface IssuerRenewalInfo {
  /** The suggested window; the manager renews at a uniformly random time inside it. */
  window: { start: Date; end: Date }
  /** A page explaining why the window moved (RFC 9773 §4.2), shown to operators in `status()`. */
  explanationURL?: string
  /** When to ask again, in ms (RFC 9773 §4.3 `Retry-After`, already clamped to [60 s, 24 h]). */
  retryAfterMs: number
}

/**
 * A source of certificates for the certificate manager, after certmagic's `Issuer`. Small on
 * purpose: the manager owns storage, locking, scheduling and retries; an issuer only issues.
 *
 * Contract:
 * - `key` names the issuer in storage paths and never changes for the same CA and account settings:
 *   certificates stored under one key are only ever loaded for that key. It is a URL (an ACME
 *   directory URL, `local-ca://local` for the local CA) because the storage layout derives its
 *   folder name from the URL's host and path (see `issuerKey` in storage-keys.ts).
 * - `issue` returns a fresh certificate covering exactly `identifiers` with a fresh key, or rejects.
 *   It never retries on its own past its own bounded loops: the manager schedules retries
 *   (1 min, 10 min, 100 min, daily) and keeps the old certificate serving meanwhile. It honours
 *   `signal` promptly (rejects with ERR_ABORTED). `replaces` is the RFC 9773 §4.1 CertID of the
 *   certificate being renewed; issuers without ARI ignore it.
 * - `renewalInfo`, when present, asks the CA for the certificate's renewal window (RFC 9773 §4.2)
 *   and resolves `undefined` when the CA has no ARI at all (then the manager renews by lifetime).
 *   Any other failure rejects; the manager then keeps its previous window and asks again later.
 * - Methods may be called concurrently for different identifiers; the manager never issues the same
 *   name twice at once in one process and holds a storage lock across processes.
 */
export interface Issuer {
  readonly key: string
  /** Where certificates from this issuer are said to come from in the certificate cache. */
  readonly source?: 'acme' | 'local-ca'
  issue(
    identifiers: Identifier[],
    options: { replaces?: string; signal?: AbortSignal },
  ): Promise<IssuedPair>
  renewalInfo?(
    certificatePem: string,
    options: { signal?: AbortSignal },
  ): Promise<IssuerRenewalInfo | undefined>
}
