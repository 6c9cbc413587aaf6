import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import type { CertificateCache } from '../tls/certificate-cache.js'
import type { Storage } from '../storage/storage.js'
import type { Issuer } from './issuer.js'
import type { ManagerEvent } from './manager-events.js'

/** Default for {@link CertificateManagerOptions.maxConcurrentIssuance}. */
export const DEFAULT_MAX_CONCURRENT_ISSUANCE = 4

export interface CertificateManagerOptions {
  /** Where certificates are stored (under `issuer.key`) and the per-name issuance locks live. */
  storage: Storage
  issuer: Issuer
  /** The SNI index the manager publishes certificates into. */
  cache: CertificateCache
  /**
   * The names to manage: one certificate per name, as certmagic does; a list of names shares one
   * certificate, stored and looked up under its first name (a certificate from `certs obtain a b`).
   * Duplicates are merged. May be empty when names are added later with `manage()` (on-demand).
   */
  names: readonly (string | readonly string[])[]
  /** Source of time for every schedule and wait. Default: the system clock. */
  clock?: Clock
  /** Uniform in [0, 1), for the renewal jitter and the ARI window draw. Default `Math.random`. */
  random?: () => number
  /** Receives lifecycle events; an exception it throws is ignored, never breaks the manager. */
  onEvent?: (event: ManagerEvent) => void
  /** Issuances in flight at once across all names. Default {@link DEFAULT_MAX_CONCURRENT_ISSUANCE}. */
  maxConcurrentIssuance?: number
  /** Structured log of the lifecycle events (see log-events.ts). Default: none. */
  logger?: Logger
}

const OPTION_KEYS: readonly string[] = [
  'storage',
  'issuer',
  'cache',
  'names',
  'clock',
  'random',
  'onEvent',
  'maxConcurrentIssuance',
  'logger',
]

/** Validates the options once, naming the bad one; unknown keys are refused (likely typos). */
export function checkManagerOptions(options: CertificateManagerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'CertificateManager needs an options object: { storage, issuer, cache, names }',
    )
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError(
        `unknown CertificateManager option ${JSON.stringify(key)}; known options: ${OPTION_KEYS.join(', ')}`,
      )
    }
  }
  for (const key of ['storage', 'issuer', 'cache'] as const) {
    if (typeof options[key] !== 'object' || options[key] === null) {
      throw new TypeError(`CertificateManager option ${key} is required`)
    }
  }
  if (typeof options.issuer.key !== 'string' || !URL.canParse(options.issuer.key)) {
    throw new TypeError(
      `issuer.key ${JSON.stringify(options.issuer.key)} is not a URL; see the Issuer contract`,
    )
  }
  if (!Array.isArray(options.names)) {
    throw new TypeError('CertificateManager option names must be an array of names')
  }
  for (const entry of options.names) {
    const group: readonly unknown[] | undefined =
      typeof entry === 'string' ? [entry] : Array.isArray(entry) ? entry : undefined
    if (!group || group.length === 0 || group.some((n) => typeof n !== 'string')) {
      throw new TypeError(
        `CertificateManager names entry ${JSON.stringify(entry)} is neither a name nor a non-empty list of names`,
      )
    }
  }
  for (const fn of ['random', 'onEvent'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') {
      throw new TypeError(`CertificateManager option ${fn} must be a function`)
    }
  }
  const max = options.maxConcurrentIssuance
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new RangeError(`maxConcurrentIssuance ${max} must be an integer >= 1`)
  }
}
