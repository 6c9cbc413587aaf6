import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls'
import type { Dispatcher } from 'undici'
import { AbortedError, GatehouseError } from '../errors.js'
import { USER_AGENT } from '../version.js'
import { parseRetryAfter } from './headers.js'
import { AcmeProblemError } from './problem.js'
import type { Problem } from './types.js'

/** Largest response body accepted: a certificate chain with alternates is a few KiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024

export interface AcmeHttpOptions {
  /** Extra PEM roots trusted for the ACME server's HTTPS, added to Node's `tls.rootCertificates`. */
  caCerts?: string[] | undefined
  /** Default: {@link USER_AGENT}. RFC 8555 §6.1 asks clients to send one. */
  userAgent?: string | undefined
  /** RFC 8555 §6.7: the language of problem `detail`s. Default `en`. */
  acceptLanguage?: string | undefined
  /** Overrides the undici Agent this client would create (then `caCerts` is ignored). */
  dispatcher?: Dispatcher | undefined
  /** Called with the `Replay-Nonce` of every response (RFC 8555 §6.5). */
  onNonce?: ((nonce: string) => void) | undefined
  /** For HTTP-date `Retry-After` values. */
  now: () => number
}

/** A response whose status was below 400. */
export interface AcmeResponse {
  url: string
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** `Retry-After` in milliseconds, when the response had one. */
  retryAfterMs: number | undefined
}

export interface RequestOptions {
  body?: string
  contentType?: string
  accept?: string
  signal?: AbortSignal | undefined
}

/**
 * The HTTP transport of one ACME client: its own undici Agent (so trust settings never leak between
 * clients), the headers RFC 8555 §6.1 wants, and problem documents (§6.7) turned into errors.
 */
export class AcmeHttp {
  #dispatcher: Promise<Dispatcher> | undefined
  readonly #secureContext: SecureContext | undefined
  readonly #options: AcmeHttpOptions

  constructor(options: AcmeHttpOptions) {
    this.#options = options
    if (options.dispatcher) {
      this.#dispatcher = Promise.resolve(options.dispatcher)
    } else {
      // One SecureContext for every connection of this client: given `ca`, tls.connect would build
      // a new context per connection and parse ~145 roots each time (~45 ms of CPU here, measured by
      // bench/issuance.ts), which dominated concurrent issuance. Built here so a bad PEM fails now.
      this.#secureContext = createSecureContext(
        options.caCerts?.length ? { ca: [...rootCertificates, ...options.caCerts] } : {},
      )
    }
  }

  /** The client's own Agent, created (and undici imported: ~0.2 s of CPU) on the first request. */
  #agent(): Promise<Dispatcher> {
    const secureContext = this.#secureContext
    this.#dispatcher ??= import('undici').then(
      ({ Agent }) => new Agent({ connect: { secureContext } }),
    )
    return this.#dispatcher
  }

  /** Sends one request; a status of 400 or more throws {@link AcmeProblemError}. */
  async request(
    method: 'GET' | 'HEAD' | 'POST',
    url: string,
    options: RequestOptions = {},
  ): Promise<AcmeResponse> {
    const res = await this.#send(method, url, options)
    const nonce = res.headers['replay-nonce']
    if (typeof nonce === 'string') this.#options.onNonce?.(nonce)
    if (res.status >= 400) throw problemFromResponse(res)
    return res
  }

  async #send(method: string, url: string, options: RequestOptions): Promise<AcmeResponse> {
    const headers: Record<string, string> = {
      'user-agent': this.#options.userAgent ?? USER_AGENT,
      'accept-language': this.#options.acceptLanguage ?? 'en',
    }
    if (options.accept) headers['accept'] = options.accept
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/jose+json'
      // Pebble 2.4.0 refuses POSTs without an explicit Content-Length.
      headers['content-length'] = String(Buffer.byteLength(options.body))
    }
    try {
      const dispatcher = await this.#agent()
      const { request } = await import('undici')
      const res = await request(url, {
        method,
        headers,
        body: options.body ?? null,
        dispatcher,
        signal: options.signal ?? null,
      })
      const body = Buffer.from(await res.body.arrayBuffer())
      if (body.length > MAX_RESPONSE_BYTES) {
        throw new GatehouseError('ERR_ACME_PROTOCOL', `${method} ${url}: response over 4 MiB`)
      }
      return {
        url,
        status: res.statusCode,
        headers: res.headers,
        body,
        retryAfterMs: parseRetryAfter(res.headers['retry-after'], this.#options.now()),
      }
    } catch (err) {
      if (options.signal?.aborted) throw new AbortedError(options.signal.reason)
      if (err instanceof GatehouseError) throw err
      const why = err instanceof Error ? err.message : String(err)
      throw new GatehouseError('ERR_ACME_NETWORK', `${method} ${url} failed: ${why}`, {
        cause: err,
      })
    }
  }

  /** Closes the Agent this transport created (not an injected dispatcher). */
  async close(): Promise<void> {
    if (this.#secureContext && this.#dispatcher) await (await this.#dispatcher).close()
  }
}

/** The first value of a header. */
export function headerOf(res: AcmeResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/** The JSON body of a response, or `ERR_ACME_PROTOCOL` naming the URL. */
export function jsonOf<T>(res: AcmeResponse): T {
  try {
    const value: unknown = JSON.parse(res.body.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as T
  } catch (err) {
    throw new GatehouseError('ERR_ACME_PROTOCOL', `${res.url} answered with invalid JSON`, {
      cause: err,
    })
  }
  throw new GatehouseError('ERR_ACME_PROTOCOL', `${res.url} answered with JSON that is no object`)
}

/** RFC 8555 §7.3 and §7.4: created resources are named by `Location`; it is required. */
export function locationOf(res: AcmeResponse): string {
  const location = headerOf(res, 'location')
  if (!location) {
    throw new GatehouseError('ERR_ACME_PROTOCOL', `${res.url} answered without a Location header`)
  }
  return new URL(location, res.url).href
}

/**
 * RFC 8555 §6.7 problem document → {@link AcmeProblemError}. A body that is no problem document (a
 * proxy's HTML 502, say) becomes an `about:blank` problem, which RFC 7807 §4.2 defines as "nothing
 * beyond the HTTP status", so status-based handling (503 retries) still applies.
 */
export function problemFromResponse(res: AcmeResponse): AcmeProblemError {
  let problem: Problem | undefined
  try {
    const value = JSON.parse(res.body.toString('utf8')) as unknown
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Problem).type === 'string'
    ) {
      problem = value as Problem
    }
  } catch {
    // not JSON: handled below
  }
  problem ??= {
    type: 'about:blank',
    detail: `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200).trim()}`,
    status: res.status,
  }
  return new AcmeProblemError(problem, {
    status: res.status,
    url: res.url,
    retryAfterMs: res.retryAfterMs,
  })
}
