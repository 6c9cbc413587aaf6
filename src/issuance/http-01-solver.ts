import { createServer } from 'node:http'
import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import { Http01Responder } from './http-01-responder.js'
import { LazyListener } from './lazy-listener.js'

export interface Http01StandaloneOptions {
  /** Address to listen on. Default `0.0.0.0` (the CA connects from outside). */
  host?: string
  /** Port to listen on. Default 80, the only port a public CA uses for HTTP-01 (RFC 8555 §8.3). */
  port?: number
}

/**
 * HTTP-01 with its own listener (like `certbot --standalone` / `lego --http`): the listener is opened
 * on the first `present` and closed when the last answer is cleaned up. Anything but a pending
 * challenge gets 404.
 */
export class Http01StandaloneSolver implements ChallengeSolver {
  readonly type = 'http-01'
  readonly responder = new Http01Responder()
  readonly #listener: LazyListener

  constructor(options: Http01StandaloneOptions = {}) {
    const create = (): ReturnType<typeof createServer> =>
      createServer((req, res) => {
        if (!this.responder.handle(req, res)) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        }
      })
    this.#listener = new LazyListener(
      create,
      options.host ?? '0.0.0.0',
      options.port ?? 80,
      'the HTTP-01 challenge listener',
    )
  }

  async present(challenge: ChallengeContext): Promise<void> {
    this.responder.add(challenge)
    await this.#listener.acquire()
  }

  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.responder.remove(challenge)
    await this.#listener.release()
  }
}
