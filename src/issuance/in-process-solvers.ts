import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import type { Http01Responder } from './http-01-responder.js'
import type { TlsAlpnResponder } from './tls-alpn-01-responder.js'

/** HTTP-01 answered by a server that already listens (Gatehouse's own HTTP listener) through its responder. */
export class Http01InProcessSolver implements ChallengeSolver {
  readonly type = 'http-01'
  readonly #responder: Http01Responder
  constructor(responder: Http01Responder) {
    this.#responder = responder
  }
  async present(challenge: ChallengeContext): Promise<void> {
    this.#responder.add(challenge)
  }
  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.#responder.remove(challenge)
  }
}

/** TLS-ALPN-01 answered on Gatehouse's own HTTPS port (RFC 8737) through its responder. */
export class TlsAlpn01InProcessSolver implements ChallengeSolver {
  readonly type = 'tls-alpn-01'
  readonly #responder: TlsAlpnResponder
  constructor(responder: TlsAlpnResponder) {
    this.#responder = responder
  }
  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#responder.add(challenge, options)
  }
  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.#responder.remove(challenge)
  }
}
