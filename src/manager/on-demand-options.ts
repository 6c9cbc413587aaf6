import { rejectUnknownKeys } from '../_internal/suggest.js'

/**
 * Decides whether a certificate may be obtained for `name` (canonical: lower case, A-labels) at its
 * first handshake. Resolve true to allow. A rejection denies (fail-closed). Honour `signal`: the
 * handshake is waiting.
 */
export type OnDemandDecision = (name: string, options: { signal: AbortSignal }) => Promise<boolean>

/**
 * On-demand issuance (issue 3 §3): a certificate obtained at the first handshake for a name that no
 * configured source covers, when the policy allows it. The policy is every one of `allow`, `ask` and
 * `decide` that is given (a name must pass all of them, so the allow-list also keeps junk away from
 * the ask endpoint); at least one is required: without a policy there is no on-demand issuance.
 */
export interface OnDemandOptions {
  /**
   * Names and patterns allowed: `a.example.com`, `*.example.com` (one label), `**.example.com` (any
   * depth). An empty list counts as no list (so a configuration with only `ask` may pass `allow: []`).
   */
  allow?: readonly string[]
  /** Caddy's convention: `GET <ask>?domain=<name>`; a 2xx answer allows, anything else denies. */
  ask?: string
  /** A decision in code, as certmagic's `DecisionFunc`. */
  decide?: OnDemandDecision
  /** Milliseconds the ask endpoint (and `decide`) may take; then the name is denied. Default 5 000. */
  askTimeoutMs?: number
  /** Milliseconds an "allowed" answer of ask/decide is reused. Default 3 600 000 (1 h). */
  allowTtlMs?: number
  /** Milliseconds a "denied" answer (or a failed ask) is reused. Default 60 000. */
  denyTtlMs?: number
  /** Answers kept at most (oldest dropped first). Default 10 000. */
  maxCachedAnswers?: number
  /**
   * New issuances allowed: a burst of `issuances`, refilled at `issuances` per `intervalMs` (a token
   * bucket). Names over the limit are refused (logged) and get the default certificate; a later
   * handshake tries again. Default 10 per 60 000 ms.
   */
  rateLimit?: { issuances: number; intervalMs: number }
}

export const ON_DEMAND_DEFAULTS = Object.freeze({
  askTimeoutMs: 5_000,
  allowTtlMs: 3_600_000,
  denyTtlMs: 60_000,
  maxCachedAnswers: 10_000,
  rateLimit: Object.freeze({ issuances: 10, intervalMs: 60_000 }),
})

const KEYS: readonly string[] = [
  'allow',
  'ask',
  'decide',
  'askTimeoutMs',
  'allowTtlMs',
  'denyTtlMs',
  'maxCachedAnswers',
  'rateLimit',
]

/** Validates once, naming the bad option; unknown keys are refused with a suggestion. */
export function checkOnDemandOptions(o: OnDemandOptions): void {
  if (typeof o !== 'object' || o === null) {
    throw new TypeError("onDemand must be an object, e.g. { allow: ['*.example.com'] }")
  }
  rejectUnknownKeys(o, KEYS, 'onDemand')
  if (o.allow !== undefined && !Array.isArray(o.allow)) {
    throw new TypeError('onDemand.allow must be an array of names and patterns')
  }
  if (o.ask !== undefined && !(typeof o.ask === 'string' && /^https?:\/\//.test(o.ask))) {
    throw new TypeError(`onDemand.ask ${JSON.stringify(o.ask)} must be an http:// or https:// URL`)
  }
  if (o.ask !== undefined && !URL.canParse(o.ask)) {
    throw new TypeError(`onDemand.ask ${JSON.stringify(o.ask)} is not a valid URL`)
  }
  if (o.decide !== undefined && typeof o.decide !== 'function') {
    throw new TypeError('onDemand.decide must be a function (name, { signal }) => Promise<boolean>')
  }
  if (!(o.allow?.length ?? 0) && o.ask === undefined && o.decide === undefined) {
    throw new TypeError(
      'onDemand needs a policy: allow (names and patterns), ask (a URL) or decide (a function); without one nothing is issued on demand',
    )
  }
  for (const key of ['askTimeoutMs', 'allowTtlMs', 'denyTtlMs'] as const) {
    const v = o[key]
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`onDemand.${key} ${v} must be a number of ms >= 0`)
    }
  }
  const max = o.maxCachedAnswers
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new RangeError(`onDemand.maxCachedAnswers ${max} must be an integer >= 1`)
  }
  const rate = o.rateLimit
  if (
    rate !== undefined &&
    !(
      Number.isInteger(rate?.issuances) &&
      rate.issuances >= 1 &&
      Number.isFinite(rate.intervalMs) &&
      rate.intervalMs > 0
    )
  ) {
    throw new RangeError(
      'onDemand.rateLimit must be { issuances: integer >= 1, intervalMs: number > 0 }',
    )
  }
}
