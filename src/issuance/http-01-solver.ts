import { createServer, type Server } from 'node:http'
import type { ChallengeContext } from './challenge-solver.js'
import { Http01Responder } from './http-01-responder.js'
import { StandaloneSolver, type StandaloneSolverOptions } from './standalone-solver.js'

/**
 * HTTP-01 with its own listener (like `certbot --standalone` / `lego --http`): the listener is opened
 * on the first `present` and closed when the last answer is cleaned up. Anything but a pending
 * challenge gets 404.
 */
export class Http01StandaloneSolver extends StandaloneSolver<Http01Responder> {
  readonly type = 'http-01'

  constructor(options: StandaloneSolverOptions = {}) {
    super(new Http01Responder(), options, {
      defaultPort: 80,
      what: 'the HTTP-01 challenge listener',
    })
  }

  protected createServer(): Server {
    return createServer((req, res) => {
      if (!this.responder.handle(req, res)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      }
    })
  }

  async present(challenge: ChallengeContext): Promise<void> {
    this.responder.add(challenge)
    await this.acquireListener()
  }
}
