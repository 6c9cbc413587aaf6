import { isBase64url } from '../_internal/base64url.js'
import { GatehouseError } from '../errors.js'

/** Nonces kept at most; old ones are the likeliest to have expired, so the oldest are dropped. */
export const MAX_POOLED_NONCES = 32
/** HEAD requests to newNonce tried at most per `take()` (concurrent takers may race for one nonce). */
export const MAX_NONCE_FETCHES = 3

/**
 * RFC 8555 §6.5: every response may carry a fresh `Replay-Nonce`. Keeping all of them means a HEAD to
 * newNonce is needed only when the pool is empty (typically once per client), halving round trips.
 */
export class NoncePool {
  readonly #nonces: string[] = []
  readonly #refill: (signal?: AbortSignal) => Promise<void>

  /**
   * `refill` asks the server for a nonce (HEAD newNonce, RFC 8555 §7.2); the nonce is expected to
   * arrive through {@link add}, like every other response's.
   */
  constructor(refill: (signal?: AbortSignal) => Promise<void>) {
    this.#refill = refill
  }

  /** Keeps a nonce; ignores values that are not base64url (RFC 8555 §6.5.1 makes them invalid). */
  add(nonce: string | undefined): void {
    if (nonce === undefined || !isBase64url(nonce)) return
    this.#nonces.push(nonce)
    if (this.#nonces.length > MAX_POOLED_NONCES) this.#nonces.shift()
  }

  get size(): number {
    return this.#nonces.length
  }

  /** The newest pooled nonce, or a fresh one from the server when the pool is empty. */
  async take(options: { signal?: AbortSignal | undefined } = {}): Promise<string> {
    for (let fetches = 0; ; fetches++) {
      const pooled = this.#nonces.pop()
      if (pooled !== undefined) return pooled
      if (fetches >= MAX_NONCE_FETCHES) break
      await this.#refill(options.signal)
    }
    throw new GatehouseError(
      'ERR_ACME_PROTOCOL',
      `newNonce gave no usable Replay-Nonce after ${MAX_NONCE_FETCHES} requests`,
    )
  }
}
