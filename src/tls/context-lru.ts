import type { SecureContext } from 'node:tls'

/**
 * The `SecureContext`s built so far, keyed by certificate entry id, at most `max` of them: the least
 * recently used goes first. Each holds a parsed key and chain (a few KiB of native memory), so a
 * server with 100k certificates keeps contexts only for the names clients actually ask for.
 */
export class ContextLru {
  /** Map iteration order is insertion order, so the first key is the least recently used. */
  readonly #contexts = new Map<string, SecureContext>()
  readonly #max: number

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxContexts ${max} must be an integer >= 1`)
    }
    this.#max = max
  }

  get size(): number {
    return this.#contexts.size
  }

  /** The context for `id`, marked most recently used. */
  get(id: string): SecureContext | undefined {
    const context = this.#contexts.get(id)
    if (context !== undefined) {
      // Re-inserted to mark as most recently used.
      this.#contexts.delete(id)
      this.#contexts.set(id, context)
    }
    return context
  }

  /** Keeps `context` for `id`, dropping the least recently used one when over the limit. */
  set(id: string, context: SecureContext): void {
    this.#contexts.set(id, context)
    if (this.#contexts.size > this.#max) {
      const oldest = this.#contexts.keys().next()
      if (oldest.done !== true) this.#contexts.delete(oldest.value)
    }
  }

  delete(id: string): void {
    this.#contexts.delete(id)
  }
}
