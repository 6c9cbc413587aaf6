import type { KeyObject } from 'node:crypto'
import { base64url } from '../_internal/base64url.js'
import { GatehouseError } from '../errors.js'
import { downloadChains, PEM_CHAIN, type DownloadedCertificate } from './certificate-download.js'
import {
  resolveClientOptions,
  type AcmeClientOptions,
  type ResolvedClientOptions,
} from './client-options.js'
import { parseDirectory } from './directory.js'
import { AcmeHttp, jsonOf, locationOf, type AcmeResponse } from './http.js'
import { assertSigningKey, exportJwk } from './jwk.js'
import { signJws } from './jws.js'
import { dns01TxtValue, keyAuthorization } from './key-authorization.js'
import { NoncePool } from './nonce-pool.js'
import { pollUntil } from './poll.js'
import { assertCertId, clampAriRetry, parseRenewalInfo, renewalInfoUrl } from './renewal-info.js'
import {
  newAccountPayload,
  newOrderPayload,
  revocationPayload,
  type NewAccountRequest,
  type NewOrderRequest,
} from './requests.js'
import { signedPost, type SignedPostContext } from './signed-post.js'
import type {
  AccountResource,
  AuthorizationResource,
  ChallengeResource,
  Directory,
  Located,
  OrderResource,
  RenewalInfo,
} from './types.js'

/** Every async method takes this last. */
export interface CallOptions {
  signal?: AbortSignal | undefined
}

const AUTHZ_FINAL = new Set(['valid', 'invalid', 'deactivated', 'expired', 'revoked'])

/**
 * An RFC 8555 client: accounts, orders, authorizations, challenges, certificates, revocation and ARI.
 * It holds no certificate state and runs no timers of its own; polling and `Retry-After` waits use
 * the injected Clock. One instance per account key; instances share nothing.
 */
export class AcmeClient {
  readonly #options: ResolvedClientOptions
  readonly #http: AcmeHttp
  readonly #nonces: NoncePool
  readonly #ctx: SignedPostContext
  #key: KeyObject
  #accountUrl: string | undefined
  #directory: Promise<Directory> | undefined

  constructor(options: AcmeClientOptions) {
    this.#options = resolveClientOptions(options)
    this.#key = this.#options.accountKey
    this.#accountUrl = this.#options.accountUrl
    this.#http = new AcmeHttp({
      caCerts: [...this.#options.caCerts],
      userAgent: this.#options.userAgent,
      dispatcher: this.#options.dispatcher,
      onNonce: (nonce) => this.#nonces.add(nonce),
      now: () => this.#options.clock.now(),
    })
    this.#nonces = new NoncePool(async (signal) => {
      const dir = await this.directory({ signal })
      await this.#http.request('HEAD', dir.newNonce, { signal })
    })
    this.#ctx = {
      http: this.#http,
      nonces: this.#nonces,
      clock: this.#options.clock,
      maxRetryAfterMs: this.#options.maxRetryAfterMs,
    }
  }

  /** The account URL (`kid`), once known from the options, newAccount or findAccount. */
  get accountUrl(): string | undefined {
    return this.#accountUrl
  }

  /**
   * RFC 8555 §7.1.1: fetched with a plain GET once, then cached for the client's life (a failed fetch
   * is not cached). Concurrent first callers share one fetch, and so the first caller's signal.
   */
  directory(options: CallOptions = {}): Promise<Directory> {
    this.#directory ??= this.#http
      .request('GET', this.#options.directoryUrl, { signal: options.signal })
      .then((res) => parseDirectory(jsonOf(res), res.url))
    const pending = this.#directory
    pending.catch(() => {
      if (this.#directory === pending) this.#directory = undefined
    })
    return pending
  }

  /** RFC 8555 §7.3: creates (or, with `onlyReturnExisting`, looks up) the account of this key. */
  async newAccount(
    req: NewAccountRequest,
    options: CallOptions = {},
  ): Promise<Located<AccountResource>> {
    const dir = await this.directory(options)
    const payload = newAccountPayload(req, this.#key, dir)
    // §6.2: no account URL exists yet, so this request carries the public key (`jwk`).
    const res = await signedPost(this.#ctx, dir.newAccount, payload, {
      key: this.#key,
      signal: options.signal,
    })
    this.#accountUrl = locationOf(res)
    return { url: this.#accountUrl, body: resourceOf<AccountResource>(res) }
  }

  /** RFC 8555 §7.3.1: finds the account of this key; `accountDoesNotExist` if there is none. */
  findAccount(options: CallOptions = {}): Promise<Located<AccountResource>> {
    return this.newAccount({ onlyReturnExisting: true }, options)
  }

  /** RFC 8555 §7.3.2: replaces the account's contact URLs. */
  async updateAccount(
    req: { contact?: string[] },
    options: CallOptions = {},
  ): Promise<Located<AccountResource>> {
    const url = this.#requireAccount()
    const payload = req.contact === undefined ? {} : { contact: req.contact }
    return this.#postResource<AccountResource>(url, payload, options)
  }

  /** RFC 8555 §7.3.6: deactivates the account for good; later requests with it fail `unauthorized`. */
  deactivateAccount(options: CallOptions = {}): Promise<Located<AccountResource>> {
    const url = this.#requireAccount()
    return this.#postResource<AccountResource>(url, { status: 'deactivated' }, options)
  }

  /**
   * RFC 8555 §7.3.5: the inner JWS, signed by the new key (with `jwk`, no nonce), proves possession of
   * it; the outer one, signed by the old key, proves the account agrees. Afterwards this client signs
   * with `newKey`.
   */
  async rolloverKey(newKey: KeyObject, options: CallOptions = {}): Promise<void> {
    assertSigningKey(newKey, 'newKey')
    const account = this.#requireAccount()
    const dir = await this.directory(options)
    const inner = signJws(newKey, { account, oldKey: exportJwk(this.#key) }, { url: dir.keyChange })
    await this.#post(dir.keyChange, inner, options)
    this.#key = newKey
  }

  /** RFC 8555 §7.4: creates an order, checking the requested profile against the directory. */
  async newOrder(req: NewOrderRequest, options: CallOptions = {}): Promise<Located<OrderResource>> {
    const dir = await this.directory(options)
    const payload = newOrderPayload(req, dir)
    const res = await this.#post(dir.newOrder, payload, options)
    return { url: locationOf(res), body: resourceOf<OrderResource>(res) }
  }

  /** RFC 8555 §7.4, fetched with POST-as-GET (§6.3). */
  getOrder(url: string, options: CallOptions = {}): Promise<Located<OrderResource>> {
    return this.#postResource<OrderResource>(url, undefined, options)
  }

  /** RFC 8555 §7.5, fetched with POST-as-GET (§6.3). */
  getAuthorization(
    url: string,
    options: CallOptions = {},
  ): Promise<Located<AuthorizationResource>> {
    return this.#postResource<AuthorizationResource>(url, undefined, options)
  }

  /** RFC 8555 §7.5.1, fetched with POST-as-GET (§6.3). */
  getChallenge(url: string, options: CallOptions = {}): Promise<Located<ChallengeResource>> {
    return this.#postResource<ChallengeResource>(url, undefined, options)
  }

  /** RFC 8555 §7.5.1: the empty object `{}` (not POST-as-GET) tells the CA to validate now. */
  acceptChallenge(url: string, options: CallOptions = {}): Promise<Located<ChallengeResource>> {
    return this.#postResource<ChallengeResource>(url, {}, options)
  }

  /** RFC 8555 §7.5.2: gives up an authorization, e.g. one this account will never complete. */
  deactivateAuthorization(
    url: string,
    options: CallOptions = {},
  ): Promise<Located<AuthorizationResource>> {
    return this.#postResource<AuthorizationResource>(url, { status: 'deactivated' }, options)
  }

  /** Polls an authorization until it is no longer `pending` (RFC 8555 §7.5.1). */
  async waitForAuthorization(
    url: string,
    options: CallOptions = {},
  ): Promise<Located<AuthorizationResource>> {
    return this.#poll<AuthorizationResource>(`authorization ${url}`, url, options, (a) =>
      AUTHZ_FINAL.has(a.status),
    )
  }

  /** RFC 8555 §7.4: submits the CSR (DER); the order moves to `processing`, then `valid`. */
  async finalizeOrder(
    finalizeUrl: string,
    csrDer: Uint8Array,
    options: CallOptions = {},
  ): Promise<Located<OrderResource>> {
    if (!(csrDer instanceof Uint8Array) || csrDer.length === 0) {
      throw new TypeError('csrDer must be the DER bytes of a CSR (a non-empty Uint8Array)')
    }
    const res = await this.#post(finalizeUrl, { csr: base64url(csrDer) }, options)
    // Most CAs send the order's Location here; without it the finalize URL is all we know.
    const url = res.headers['location'] ? locationOf(res) : finalizeUrl
    return { url, body: resourceOf<OrderResource>(res) }
  }

  /** Polls an order until its status is in `until`, or it is `invalid` (final; see `body.error`). */
  async waitForOrder(
    url: string,
    until: OrderResource['status'][],
    options: CallOptions = {},
  ): Promise<Located<OrderResource>> {
    if (!Array.isArray(until) || until.length === 0) {
      throw new TypeError('waitForOrder needs the statuses to wait for, e.g. ["valid"]')
    }
    return this.#poll<OrderResource>(
      `order ${url}`,
      url,
      options,
      (o) => until.includes(o.status) || o.status === 'invalid',
    )
  }

  /** RFC 8555 §7.4.2: see {@link downloadChains}; no match for `preferredChain` → default chain. */
  async downloadCertificate(
    url: string,
    options: CallOptions & { preferredChain?: string } = {},
  ): Promise<DownloadedCertificate> {
    const fetch = (u: string) => this.#post(u, undefined, options, PEM_CHAIN)
    return downloadChains(url, fetch, options.preferredChain)
  }

  /**
   * RFC 8555 §7.6: revokes with the account key (`kid`) by default, or with the certificate's own key
   * (`jwk`), which works even for a certificate another account ordered.
   */
  async revokeCertificate(
    certDer: Uint8Array,
    options: CallOptions & { reason?: number; certificateKey?: KeyObject } = {},
  ): Promise<void> {
    const payload = revocationPayload(certDer, options.reason)
    const dir = await this.directory(options)
    if (options.certificateKey) {
      assertSigningKey(options.certificateKey, 'certificateKey')
      await signedPost(this.#ctx, dir.revokeCert, payload, {
        key: options.certificateKey,
        signal: options.signal,
      })
    } else {
      await this.#post(dir.revokeCert, payload, options)
    }
  }

  /** RFC 9773 §4.2: an unauthenticated GET; `retryAfterMs` is clamped to [60 s, 24 h], 6 h if absent. */
  async renewalInfo(
    certId: string,
    options: CallOptions = {},
  ): Promise<{ info: RenewalInfo; retryAfterMs: number }> {
    assertCertId(certId)
    const dir = await this.directory(options)
    if (dir.renewalInfo === undefined) {
      throw new GatehouseError('ERR_UNSUPPORTED', 'this CA does not offer ARI (no renewalInfo)')
    }
    const url = renewalInfoUrl(dir.renewalInfo, certId)
    const res = await this.#http.request('GET', url, { signal: options.signal })
    return {
      info: parseRenewalInfo(jsonOf(res), url),
      retryAfterMs: clampAriRetry(res.retryAfterMs),
    }
  }

  /** RFC 8555 §8.1 for this client's current account key. */
  keyAuthorization(token: string): string {
    return keyAuthorization(token, this.#key)
  }

  /** RFC 8555 §8.4: the `_acme-challenge` TXT value for a dns-01 token. */
  dns01Value(token: string): string {
    return dns01TxtValue(keyAuthorization(token, this.#key))
  }

  /** Closes the client's HTTP connections. */
  close(): Promise<void> {
    return this.#http.close()
  }

  #requireAccount(): string {
    if (this.#accountUrl === undefined) {
      throw new TypeError(
        'no account URL yet: call newAccount() or findAccount() first, or pass accountUrl',
      )
    }
    return this.#accountUrl
  }

  /** A POST signed with the account key and `kid`. */
  #post(url: string, payload: unknown, options: CallOptions, accept?: string) {
    return signedPost(this.#ctx, url, payload, {
      key: this.#key,
      kid: this.#requireAccount(),
      signal: options.signal,
      ...(accept ? { accept } : {}),
    })
  }

  async #postResource<T>(url: string, payload: unknown, options: CallOptions): Promise<Located<T>> {
    return { url, body: resourceOf<T>(await this.#post(url, payload, options)) }
  }

  #poll<T extends { status: string }>(
    what: string,
    url: string,
    options: CallOptions,
    done: (value: T) => boolean,
  ): Promise<Located<T>> {
    const fetch = async () => {
      const res = await this.#post(url, undefined, options)
      return { value: { url, body: resourceOf<T>(res) }, retryAfterMs: res.retryAfterMs }
    }
    return pollUntil(
      what,
      fetch,
      (v) => done(v.body),
      (v) => v.body.status,
      {
        clock: this.#options.clock,
        timeoutMs: this.#options.pollTimeoutMs,
        signal: options.signal,
      },
    )
  }
}

/** A resource body; every RFC 8555 resource has a string `status` (§7.1.2–§7.1.6). */
function resourceOf<T>(res: AcmeResponse): T {
  const body = jsonOf<{ status?: unknown }>(res)
  if (typeof body.status !== 'string') {
    throw new GatehouseError('ERR_ACME_PROTOCOL', `${res.url} sent a resource without a status`)
  }
  return body as T
}
