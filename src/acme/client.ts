import type { KeyObject } from 'node:crypto'
import * as accounts from './accounts.js'
import * as authorizations from './authorizations.js'
import * as certificates from './certificates.js'
import type { DownloadedCertificate } from './certificate-download.js'
import { resolveClientOptions, type AcmeClientOptions } from './client-options.js'
import { dns01TxtValue, keyAuthorization } from './key-authorization.js'
import * as orders from './orders.js'
import type { NewAccountRequest, NewOrderRequest } from './requests.js'
import { AcmeSession, type CallOptions } from './session.js'
import type {
  AccountResource,
  AuthorizationResource,
  ChallengeResource,
  Directory,
  Located,
  OrderResource,
  RenewalInfo,
} from './types.js'

export type { CallOptions } from './session.js'

/**
 * An RFC 8555 client: accounts, orders, authorizations, challenges, certificates, revocation and ARI.
 * It holds no certificate state and runs no timers of its own; polling and `Retry-After` waits use
 * the injected Clock. One instance per account key; instances share nothing. The requests themselves
 * live one file per resource (accounts.ts, orders.ts, authorizations.ts, certificates.ts); this class
 * is their public face.
 */
export class AcmeClient {
  readonly #s: AcmeSession

  constructor(options: AcmeClientOptions) {
    this.#s = new AcmeSession(resolveClientOptions(options))
  }

  /** The account URL (`kid`), once known from the options, newAccount or findAccount. */
  get accountUrl(): string | undefined {
    return this.#s.accountUrl
  }

  /**
   * RFC 8555 §7.1.1: fetched with a plain GET once, then cached for the client's life (a failed fetch
   * is not cached). Concurrent first callers share one fetch, and so the first caller's signal.
   */
  directory(options: CallOptions = {}): Promise<Directory> {
    return this.#s.directory(options)
  }

  /** RFC 8555 §7.3: creates (or, with `onlyReturnExisting`, looks up) the account of this key. */
  newAccount(req: NewAccountRequest, options: CallOptions = {}): Promise<Located<AccountResource>> {
    return accounts.newAccount(this.#s, req, options)
  }

  /** RFC 8555 §7.3.1: finds the account of this key; `accountDoesNotExist` if there is none. */
  findAccount(options: CallOptions = {}): Promise<Located<AccountResource>> {
    return accounts.newAccount(this.#s, { onlyReturnExisting: true }, options)
  }

  /** RFC 8555 §7.3.2: replaces the account's contact URLs. */
  async updateAccount(
    req: { contact?: string[] },
    options: CallOptions = {},
  ): Promise<Located<AccountResource>> {
    return accounts.updateAccount(this.#s, req, options)
  }

  /** RFC 8555 §7.3.6: deactivates the account for good; later requests with it fail `unauthorized`. */
  deactivateAccount(options: CallOptions = {}): Promise<Located<AccountResource>> {
    return accounts.deactivateAccount(this.#s, options)
  }

  /** RFC 8555 §7.3.5: proves possession of `newKey`; afterwards this client signs with it. */
  rolloverKey(newKey: KeyObject, options: CallOptions = {}): Promise<void> {
    return accounts.rolloverKey(this.#s, newKey, options)
  }

  /** RFC 8555 §7.4: creates an order, checking the requested profile against the directory. */
  newOrder(req: NewOrderRequest, options: CallOptions = {}): Promise<Located<OrderResource>> {
    return orders.newOrder(this.#s, req, options)
  }

  /** RFC 8555 §7.4, fetched with POST-as-GET (§6.3). */
  getOrder(url: string, options: CallOptions = {}): Promise<Located<OrderResource>> {
    return this.#s.postResource<OrderResource>(url, undefined, options)
  }

  /** RFC 8555 §7.5, fetched with POST-as-GET (§6.3). */
  getAuthorization(
    url: string,
    options: CallOptions = {},
  ): Promise<Located<AuthorizationResource>> {
    return this.#s.postResource<AuthorizationResource>(url, undefined, options)
  }

  /** RFC 8555 §7.5.1, fetched with POST-as-GET (§6.3). */
  getChallenge(url: string, options: CallOptions = {}): Promise<Located<ChallengeResource>> {
    return this.#s.postResource<ChallengeResource>(url, undefined, options)
  }

  /** RFC 8555 §7.5.1: the empty object `{}` (not POST-as-GET) tells the CA to validate now. */
  acceptChallenge(url: string, options: CallOptions = {}): Promise<Located<ChallengeResource>> {
    return authorizations.acceptChallenge(this.#s, url, options)
  }

  /** RFC 8555 §7.5.2: gives up an authorization, e.g. one this account will never complete. */
  deactivateAuthorization(
    url: string,
    options: CallOptions = {},
  ): Promise<Located<AuthorizationResource>> {
    return authorizations.deactivateAuthorization(this.#s, url, options)
  }

  /** Polls an authorization until it is no longer `pending` (RFC 8555 §7.5.1). */
  async waitForAuthorization(
    url: string,
    options: CallOptions = {},
  ): Promise<Located<AuthorizationResource>> {
    return authorizations.waitForAuthorization(this.#s, url, options)
  }

  /** RFC 8555 §7.4: submits the CSR (DER); the order moves to `processing`, then `valid`. */
  async finalizeOrder(
    finalizeUrl: string,
    csrDer: Uint8Array,
    options: CallOptions = {},
  ): Promise<Located<OrderResource>> {
    return orders.finalizeOrder(this.#s, finalizeUrl, csrDer, options)
  }

  /** Polls an order until its status is in `until`, or it is `invalid` (final; see `body.error`). */
  async waitForOrder(
    url: string,
    until: OrderResource['status'][],
    options: CallOptions = {},
  ): Promise<Located<OrderResource>> {
    return orders.waitForOrder(this.#s, url, until, options)
  }

  /** RFC 8555 §7.4.2: the certificate and its alternate chains; see certificate-download.ts. */
  async downloadCertificate(
    url: string,
    options: CallOptions & { preferredChain?: string } = {},
  ): Promise<DownloadedCertificate> {
    return certificates.downloadCertificate(this.#s, url, options)
  }

  /**
   * RFC 8555 §7.6: revokes with the account key (`kid`) by default, or with the certificate's own key
   * (`jwk`), which works even for a certificate another account ordered.
   */
  async revokeCertificate(
    certDer: Uint8Array,
    options: CallOptions & { reason?: number; certificateKey?: KeyObject } = {},
  ): Promise<void> {
    return certificates.revokeCertificate(this.#s, certDer, options)
  }

  /** RFC 9773 §4.2: an unauthenticated GET; `retryAfterMs` is clamped to [60 s, 24 h], 6 h if absent. */
  async renewalInfo(
    certId: string,
    options: CallOptions = {},
  ): Promise<{ info: RenewalInfo; retryAfterMs: number }> {
    return certificates.renewalInfo(this.#s, certId, options)
  }

  /** RFC 8555 §8.1 for this client's current account key. */
  keyAuthorization(token: string): string {
    return keyAuthorization(token, this.#s.key)
  }

  /** RFC 8555 §8.4: the `_acme-challenge` TXT value for a dns-01 token. */
  dns01Value(token: string): string {
    return dns01TxtValue(keyAuthorization(token, this.#s.key))
  }

  /** Closes the client's HTTP connections. */
  close(): Promise<void> {
    return this.#s.close()
  }
}
