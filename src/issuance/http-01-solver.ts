import { createServer, type Server } from 'node:http'
import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import { Http01Responder } from './http-01-responder.js'
import { closeServer, listen } from './listener.js'

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
  readonly #host: string
  readonly #port: number
  #server: Server | undefined
  #starting: Promise<void> | undefined
  #pending = 0

  constructor(options: Http01StandaloneOptions = {}) {
    this.#host = options.host ?? '0.0.0.0'
    this.#port = options.port ?? 80
  }

  async present(challenge: ChallengeContext): Promise<void> {
    this.#pending++
    this.responder.add(challenge)
    this.#starting ??= this.#start()
    try {
      await this.#starting
    } catch (err) {
      this.#starting = undefined
      throw err
    }
  }

  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.responder.remove(challenge)
    this.#pending = Math.max(0, this.#pending - 1)
    if (this.#pending === 0 && this.#server) {
      const server = this.#server
      this.#server = undefined
      this.#starting = undefined
      await closeServer(server)
    }
  }

  async #start(): Promise<void> {
    const server = createServer((req, res) => {
      if (!this.responder.handle(req, res)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      }
    })
    await listen(server, this.#host, this.#port, 'the HTTP-01 challenge listener')
    this.#server = server
  }
}
