import type { KeyObject } from 'node:crypto'
import { GatehouseError } from '../errors.js'
import type { ResolvedClientOptions } from './client-options.js'
import { parseDirectory } from './directory.js'
import { AcmeHttp, jsonOf, type AcmeResponse } from './http.js'
import { NoncePool } from './nonce-pool.js'
import { pollUntil } from './poll.js'
import { signedPost, type SignedPostContext } from './signed-post.js'
import type { Directory, Located } from './types.js'

/** Every async method takes this last. */
export interface CallOptions {
  signal?: AbortSignal | undefined
}

/**
 * What every RFC 8555 resource request needs: the directory, the nonce pool, the account key and
 * its URL (`kid`), and the signed POST built on them. Internal to `acme/`: the resource files
 * (accounts, orders, authorizations, certificates) take one; `AcmeClient` owns one.
 */
export class AcmeSession {
  readonly options: ResolvedClientOptions
  readonly http: AcmeHttp
  readonly ctx: SignedPostContext
  readonly #nonces: NoncePool
  /** The account key; replaced by a key rollover (RFC 8555 §7.3.5). */
  key: KeyObject
  /** The account URL (`kid`), once known from the options, newAccount or findAccount. */
  accountUrl: string | undefined
  #directory: Promise<Directory> | undefined

  constructor(options: ResolvedClientOptions) {
    this.options = options
    this.key = options.accountKey
    this.accountUrl = options.accountUrl
    this.http = new AcmeHttp({
      caCerts: [...options.caCerts],
      userAgent: options.userAgent,
      dispatcher: options.dispatcher,
      onNonce: (nonce) => this.#nonces.add(nonce),
      now: () => options.clock.now(),
    })
    this.#nonces = new NoncePool(async (signal) => {
      const dir = await this.directory({ signal })
      await this.http.request('HEAD', dir.newNonce, { signal })
    })
    this.ctx = {
      http: this.http,
      nonces: this.#nonces,
      clock: options.clock,
      maxRetryAfterMs: options.maxRetryAfterMs,
    }
  }

  /**
   * RFC 8555 §7.1.1: fetched with a plain GET once, then cached for the session's life (a failed
   * fetch is not cached). Concurrent first callers share one fetch, and so the first caller's signal.
   */
  directory(options: CallOptions = {}): Promise<Directory> {
    this.#directory ??= this.http
      .request('GET', this.options.directoryUrl, { signal: options.signal })
      .then((res) => parseDirectory(jsonOf(res), res.url))
    const pending = this.#directory
    pending.catch(() => {
      if (this.#directory === pending) this.#directory = undefined
    })
    return pending
  }

  requireAccount(): string {
    if (this.accountUrl === undefined) {
      throw new TypeError(
        'no account URL yet: call newAccount() or findAccount() first, or pass accountUrl',
      )
    }
    return this.accountUrl
  }

  /** A POST signed with the account key and `kid` (RFC 8555 §6.2). */
  post(url: string, payload: unknown, options: CallOptions, accept?: string) {
    return signedPost(this.ctx, url, payload, {
      key: this.key,
      kid: this.requireAccount(),
      signal: options.signal,
      ...(accept ? { accept } : {}),
    })
  }

  async postResource<T>(url: string, payload: unknown, options: CallOptions): Promise<Located<T>> {
    return { url, body: resourceOf<T>(await this.post(url, payload, options)) }
  }

  /** POST-as-GET (RFC 8555 §6.3) until `done`, on the poll schedule and cap of poll.ts. */
  poll<T extends { status: string }>(
    what: string,
    url: string,
    options: CallOptions,
    done: (value: T) => boolean,
  ): Promise<Located<T>> {
    const fetch = async () => {
      const res = await this.post(url, undefined, options)
      return { value: { url, body: resourceOf<T>(res) }, retryAfterMs: res.retryAfterMs }
    }
    return pollUntil(
      what,
      fetch,
      (v) => done(v.body),
      (v) => v.body.status,
      { clock: this.options.clock, timeoutMs: this.options.pollTimeoutMs, signal: options.signal },
    )
  }

  close(): Promise<void> {
    return this.http.close()
  }
}

/** A resource body; every RFC 8555 resource has a string `status` (§7.1.2–§7.1.6). */
export function resourceOf<T>(res: AcmeResponse): T {
  const body = jsonOf<{ status?: unknown }>(res)
  if (typeof body.status !== 'string') {
    throw new GatehouseError('ERR_ACME_PROTOCOL', `${res.url} sent a resource without a status`)
  }
  return body as T
}
