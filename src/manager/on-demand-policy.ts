import type { Clock } from '../clock.js'
import { parseIdentifier } from '../issuance/identifiers.js'
import type { Identifier } from '../acme/types.js'
import { askEndpoint } from './ask-endpoint.js'
import { NamePatterns } from './on-demand-patterns.js'
import { ON_DEMAND_DEFAULTS, type OnDemandOptions } from './on-demand-options.js'

/** Why a name was allowed or not, for logs. */
export type VerdictKind = 'allowed' | 'invalid' | 'not-listed' | 'denied'

export interface OnDemandVerdict {
  allowed: boolean
  kind: VerdictKind
  /** One line for the log: which rule decided, the ask status or error. */
  reason: string
  /** The checked name, when it parsed. */
  identifier?: Identifier
  /** True when this call asked (not a cached answer): the caller logs fresh answers only. */
  fresh: boolean
}

interface Cached {
  allowed: boolean
  reason: string
  expiresAt: number
}

/**
 * The decision of on-demand issuance, in the order that keeps junk cheap: the name's syntax first (a
 * garbage SNI never reaches the ask endpoint), then the allow-list (memory only), then the cached
 * answer, then `ask` and `decide`. Concurrent checks of one name share one question; answers are kept
 * for `allowTtlMs` / `denyTtlMs` (a failed ask counts as a denial: fail-closed).
 */
export class OnDemandPolicy {
  readonly #options: OnDemandOptions
  readonly #clock: Clock
  readonly #patterns: NamePatterns | undefined
  readonly #answers = new Map<string, Cached>()
  readonly #asking = new Map<string, Promise<Cached>>()
  readonly #stop = new AbortController()

  constructor(options: OnDemandOptions, clock: Clock) {
    this.#options = options
    this.#clock = clock
    this.#patterns = options.allow?.length ? new NamePatterns(options.allow) : undefined
  }

  async check(servername: string, signal?: AbortSignal): Promise<OnDemandVerdict> {
    let identifier: Identifier
    try {
      identifier = parseIdentifier(servername)
    } catch (err) {
      return { allowed: false, kind: 'invalid', reason: (err as Error).message, fresh: true }
    }
    // An SNI name is a host name; `*.x` there is a client's mistake or a probe, never issuable.
    if (identifier.value.startsWith('*.')) {
      return {
        allowed: false,
        kind: 'invalid',
        reason: 'a wildcard is not a host name',
        fresh: true,
      }
    }
    const name = identifier.value
    if (this.#patterns && !this.#patterns.matches(name)) {
      return {
        allowed: false,
        kind: 'not-listed',
        reason: 'not in onDemand.allow',
        identifier,
        fresh: true,
      }
    }
    if (this.#options.ask === undefined && this.#options.decide === undefined) {
      return {
        allowed: true,
        kind: 'allowed',
        reason: 'in onDemand.allow',
        identifier,
        fresh: true,
      }
    }
    const cached = this.#answers.get(name)
    const fresh = cached === undefined || cached.expiresAt <= this.#clock.now()
    const answer = fresh ? await this.#askOnce(name, signal) : cached
    return {
      allowed: answer.allowed,
      kind: answer.allowed ? 'allowed' : 'denied',
      reason: answer.reason,
      identifier,
      fresh,
    }
  }

  /** Cancels questions in flight (they deny). */
  close(): void {
    this.#stop.abort()
  }

  /** One question per name at a time; a waiter whose handshake gives up stops waiting, not the question. */
  #askOnce(name: string, signal: AbortSignal | undefined): Promise<Cached> {
    let pending = this.#asking.get(name)
    if (!pending) {
      pending = this.#ask(name).then((answer) => {
        this.#remember(name, answer)
        return answer
      })
      const done = (): void => void this.#asking.delete(name)
      pending.then(done, done)
      this.#asking.set(name, pending)
    }
    return signal ? untilAborted(pending, signal) : pending
  }

  async #ask(name: string): Promise<Cached> {
    const o = this.#options
    const timeoutMs = o.askTimeoutMs ?? ON_DEMAND_DEFAULTS.askTimeoutMs
    const signal = this.#stop.signal
    let allowed = true
    let reason = ''
    if (o.ask !== undefined) {
      const answer = await askEndpoint(o.ask, name, { timeoutMs, signal })
      allowed = answer.allowed
      reason = `ask answered ${answer.status ?? answer.error}`
    }
    if (allowed && o.decide !== undefined) {
      const decideSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
      try {
        allowed = (await o.decide(name, { signal: decideSignal })) === true
        reason = `${reason ? `${reason}, ` : ''}decide said ${allowed ? 'yes' : 'no'}`
      } catch (err) {
        allowed = false
        reason = `${reason ? `${reason}, ` : ''}decide failed: ${(err as Error)?.message ?? String(err)}`
      }
    }
    const ttl = allowed
      ? (o.allowTtlMs ?? ON_DEMAND_DEFAULTS.allowTtlMs)
      : (o.denyTtlMs ?? ON_DEMAND_DEFAULTS.denyTtlMs)
    return { allowed, reason, expiresAt: this.#clock.now() + ttl }
  }

  #remember(name: string, answer: Cached): void {
    this.#answers.delete(name) // re-inserted last: the Map's order is the eviction order
    this.#answers.set(name, answer)
    const max = this.#options.maxCachedAnswers ?? ON_DEMAND_DEFAULTS.maxCachedAnswers
    for (const oldest of this.#answers.keys()) {
      if (this.#answers.size <= max) break
      this.#answers.delete(oldest)
    }
  }
}

/** `promise`, or a denial as soon as `signal` aborts (the promise itself keeps running). */
function untilAborted(promise: Promise<Cached>, signal: AbortSignal): Promise<Cached> {
  if (signal.aborted) return Promise.resolve(gaveUp())
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(gaveUp())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

function gaveUp(): Cached {
  return { allowed: false, reason: 'the handshake stopped waiting for the answer', expiresAt: 0 }
}
