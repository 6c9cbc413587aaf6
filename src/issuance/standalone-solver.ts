import type { Server } from 'node:net'
import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import { LazyListener } from './lazy-listener.js'

export interface StandaloneSolverOptions {
  /** Address to listen on. Default `0.0.0.0` (the CA connects from outside). */
  host?: string
  /**
   * Port to listen on. Default: the only port a public CA validates the challenge type on, 80 for
   * HTTP-01 (RFC 8555 §8.3) and 443 for TLS-ALPN-01 (RFC 8737 §3).
   */
  port?: number
}

/** The part of a responder a standalone solver needs to clean up. */
interface Responder {
  remove(challenge: ChallengeContext): void
}

/**
 * A solver with its own listener (like `certbot --standalone` / `lego --http`), answering through
 * `responder`: the listener is opened on the first `present` and closed after the last `cleanup`.
 */
export abstract class StandaloneSolver<R extends Responder> implements ChallengeSolver {
  abstract readonly type: 'http-01' | 'tls-alpn-01'
  readonly responder: R
  readonly #listener: LazyListener

  protected constructor(
    responder: R,
    options: StandaloneSolverOptions,
    listener: { defaultPort: number; what: string },
  ) {
    this.responder = responder
    // The server is created at the first acquire, after the subclass is fully constructed.
    this.#listener = new LazyListener(
      () => this.createServer(),
      options.host ?? '0.0.0.0',
      options.port ?? listener.defaultPort,
      listener.what,
    )
  }

  /** A new server answering from `responder`; one is created each time the listener opens. */
  protected abstract createServer(): Server

  abstract present(challenge: ChallengeContext, options?: { signal?: AbortSignal }): Promise<void>

  /** Opens the listener, or counts one more user; paired with the release in `cleanup`. */
  protected async acquireListener(): Promise<void> {
    await this.#listener.acquire()
  }

  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.responder.remove(challenge)
    await this.#listener.release()
  }
}
