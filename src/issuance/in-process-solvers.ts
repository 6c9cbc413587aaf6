import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import type { ChallengeStore } from './challenge-store.js'
import type { Http01Responder } from './http-01-responder.js'
import type { TlsAlpnResponder } from './tls-alpn-01-responder.js'

/** Where in-process solvers also publish answers, for other processes on the same address. */
export interface InProcessSolverOptions {
  /** Shared storage of pending answers (see ChallengeStore). Default: this process only. */
  store?: ChallengeStore
}

/** The responder an in-process solver hands its challenges to (HTTP-01 or TLS-ALPN-01). */
interface InProcessResponder {
  add(challenge: ChallengeContext, options: { signal?: AbortSignal }): void | Promise<void>
  remove(challenge: ChallengeContext): void
}

/** A challenge answered by a listener Gatehouse already runs, published to the store when shared. */
class InProcessSolver implements ChallengeSolver {
  readonly type: 'http-01' | 'tls-alpn-01'
  readonly #responder: InProcessResponder
  readonly #store: ChallengeStore | undefined
  constructor(
    type: 'http-01' | 'tls-alpn-01',
    responder: InProcessResponder,
    options: InProcessSolverOptions,
  ) {
    this.type = type
    this.#responder = responder
    this.#store = options.store
  }
  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#responder.add(challenge, options)
    await this.#store?.put(this.type, challenge, options)
  }
  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.#responder.remove(challenge)
    await this.#store?.remove(this.type, challenge)
  }
}

/** HTTP-01 answered by a server that already listens (Gatehouse's own HTTP listener) through its responder. */
export class Http01InProcessSolver extends InProcessSolver {
  declare readonly type: 'http-01'
  constructor(responder: Http01Responder, options: InProcessSolverOptions = {}) {
    super('http-01', responder, options)
  }
}

/** TLS-ALPN-01 answered on Gatehouse's own HTTPS port (RFC 8737) through its responder. */
export class TlsAlpn01InProcessSolver extends InProcessSolver {
  declare readonly type: 'tls-alpn-01'
  constructor(responder: TlsAlpnResponder, options: InProcessSolverOptions = {}) {
    super('tls-alpn-01', responder, options)
  }
}
