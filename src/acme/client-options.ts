import type { KeyObject } from 'node:crypto'
import type { Dispatcher } from 'undici'
import { systemClock, type Clock } from '../clock.js'
import { assertSigningKey } from './jwk.js'
import { DEFAULT_POLL_TIMEOUT_MS } from './poll.js'
import { MAX_RATE_LIMIT_WAIT_MS } from './signed-post.js'

export interface AcmeClientOptions {
  /** The CA's directory URL (RFC 8555 §7.1.1), e.g. `https://acme-v02.api.letsencrypt.org/directory`. */
  directoryUrl: string
  /** The account's private key. The JWS algorithm follows it: P-256 → ES256, P-384 → ES384, RSA → RS256. */
  accountKey: KeyObject
  /** The account URL (the JWS `kid`, RFC 8555 §6.2), when already known. */
  accountUrl?: string
  /** Extra PEM roots for the ACME server's HTTPS, added to Node's default roots. */
  caCerts?: string[]
  /** Time source for polling and `Retry-After` waits. Default: the system clock. */
  clock?: Clock
  /** Longest single `Retry-After` wait for `rateLimited`/503, in ms. Default 60 000. */
  maxRetryAfterMs?: number
  /** Overall bound of `waitForAuthorization`/`waitForOrder`, in ms. Default 300 000. */
  pollTimeoutMs?: number
  /** User-Agent header. Default: `gatehouse/<version> … node/<version>`. */
  userAgent?: string
  /** An undici Dispatcher to use instead of the client's own Agent (`caCerts` is then ignored). */
  dispatcher?: Dispatcher
}

/** {@link AcmeClientOptions} after validation, with defaults filled in. */
export interface ResolvedClientOptions {
  readonly directoryUrl: string
  readonly accountKey: KeyObject
  readonly accountUrl: string | undefined
  readonly caCerts: readonly string[]
  readonly clock: Clock
  readonly maxRetryAfterMs: number
  readonly pollTimeoutMs: number
  readonly userAgent: string | undefined
  readonly dispatcher: Dispatcher | undefined
}

const KNOWN = [
  'directoryUrl',
  'accountKey',
  'accountUrl',
  'caCerts',
  'clock',
  'maxRetryAfterMs',
  'pollTimeoutMs',
  'userAgent',
  'dispatcher',
] as const

/** Validates options once, naming the bad option, and returns them frozen with defaults. */
export function resolveClientOptions(options: AcmeClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('AcmeClient options must be an object with directoryUrl and accountKey')
  }
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      const near = KNOWN.find(
        (k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2,
      )
      throw new TypeError(
        `unknown AcmeClient option "${key}"${near ? `; did you mean "${near}"?` : ''}`,
      )
    }
  }
  const directoryUrl = httpUrl(options.directoryUrl, 'directoryUrl')
  assertSigningKey(options.accountKey, 'accountKey')
  const accountUrl =
    options.accountUrl === undefined ? undefined : httpUrl(options.accountUrl, 'accountUrl')
  const caCerts = options.caCerts ?? []
  if (
    !Array.isArray(caCerts) ||
    caCerts.some((c) => typeof c !== 'string' || !c.includes('-----BEGIN CERTIFICATE-----'))
  ) {
    throw new TypeError(
      'caCerts must be an array of PEM certificates (-----BEGIN CERTIFICATE-----)',
    )
  }
  return Object.freeze({
    directoryUrl,
    accountKey: options.accountKey,
    accountUrl,
    caCerts: Object.freeze([...caCerts]),
    clock: options.clock ?? systemClock,
    maxRetryAfterMs: nonNegative(
      options.maxRetryAfterMs,
      'maxRetryAfterMs',
      MAX_RATE_LIMIT_WAIT_MS,
    ),
    pollTimeoutMs: nonNegative(options.pollTimeoutMs, 'pollTimeoutMs', DEFAULT_POLL_TIMEOUT_MS),
    userAgent: options.userAgent,
    dispatcher: options.dispatcher,
  })
}

function httpUrl(value: unknown, name: string): string {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError(
      `${name} must be an https:// (or http://) URL, got ${JSON.stringify(value)}`,
    )
  }
  return url.href
}

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number of milliseconds >= 0, got ${String(value)}`)
  }
  return value
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
    }
    prev = row
  }
  return prev[b.length] ?? 0
}
