/**
 * The body of a request read by our own HTTP/1.1 server (http1-connection.ts), as the handler reads
 * it: what the framing tracker decodes is pushed, and reading stops while the reader is full.
 */
import { Readable } from 'node:stream'

/** What a request body tells its connection about its reader. */
export interface BodyOwner {
  /** The reader is full: reading stops until it wants more. */
  bodyFull(): void
  /** The reader wants more (also once as it starts reading). */
  bodyWanted(): void
}

export class RequestBody extends Readable {
  readonly #owner: BodyOwner

  constructor(owner: BodyOwner) {
    super()
    this.#owner = owner
    // The body fails (malformed chunk, client gone) whether or not the handler reads it: a 404,
    // redirect or static answer never does, and an 'error' nobody listens to would end the process.
    this.on('error', noop)
  }

  /** Decoded bytes for the reader. */
  deliver(data: Buffer): void {
    if (!this.push(data)) this.#owner.bodyFull()
  }

  /** The body ended as its framing says. */
  complete(): void {
    this.push(null)
  }

  override _read(): void {
    this.#owner.bodyWanted()
  }
}

function noop(): void {}
