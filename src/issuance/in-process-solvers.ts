import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import type { ChallengeStore } from './challenge-store.js'
import type { Http01Responder } from './http-01-responder.js'
import type { TlsAlpnResponder } from './tls-alpn-01-responder.js'

/** Where in-process solvers also publish answers, for other processes on the same address. */
export interface InProcessSolverOptions {
  /** Shared storage of pending answers (see ChallengeStore). Default: this process only. */
  store?: ChallengeStore
}

/** HTTP-01 answered by a server that already listens (Gatehouse's own HTTP listener) through its responder. */
export class Http01InProcessSolver implements ChallengeSolver {
  readonly type = 'http-01'
  readonly #responder: Http01Responder
  readonly #store: ChallengeStore | undefined
  constructor(responder: Http01Responder, options: InProcessSolverOptions = {}) {
    this.#responder = responder
    this.#store = options.store
  }
  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#responder.add(challenge)
    await this.#store?.put('http-01', challenge, options)
  }
  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.#responder.remove(challenge)
    await this.#store?.remove('http-01', challenge)
  }
}

/** TLS-ALPN-01 answered on Gatehouse's own HTTPS port (RFC 8737) through its responder. */
export class TlsAlpn01InProcessSolver implements ChallengeSolver {
  readonly type = 'tls-alpn-01'
  readonly #responder: TlsAlpnResponder
  readonly #store: ChallengeStore | undefined
  constructor(responder: TlsAlpnResponder, options: InProcessSolverOptions = {}) {
    this.#responder = responder
    this.#store = options.store
  }
  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#responder.add(challenge, options)
    await this.#store?.put('tls-alpn-01', challenge, options)
  }
  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.#responder.remove(challenge)
    await this.#store?.remove('tls-alpn-01', challenge)
  }
}
