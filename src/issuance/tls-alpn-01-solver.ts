import { createServer, type Server } from 'node:tls'
import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import { closeServer, listen } from './listener.js'
import { ACME_TLS_ALPN, TlsAlpnResponder } from './tls-alpn-01-responder.js'

export interface TlsAlpn01StandaloneOptions {
  /** Address to listen on. Default `0.0.0.0`. */
  host?: string
  /** Port to listen on. Default 443, the only port a public CA uses for TLS-ALPN-01 (RFC 8737 §3). */
  port?: number
}

/**
 * TLS-ALPN-01 with its own TLS listener that negotiates only `acme-tls/1` and presents the challenge
 * certificate for the SNI name (RFC 8737 §3). Opened on the first `present`, closed after the last
 * `cleanup`.
 */
export class TlsAlpn01StandaloneSolver implements ChallengeSolver {
  readonly type = 'tls-alpn-01'
  readonly responder = new TlsAlpnResponder()
  readonly #host: string
  readonly #port: number
  #server: Server | undefined
  #starting: Promise<void> | undefined
  #pending = 0

  constructor(options: TlsAlpn01StandaloneOptions = {}) {
    this.#host = options.host ?? '0.0.0.0'
    this.#port = options.port ?? 443
  }

  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#pending++
    await this.responder.add(challenge, options)
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
    const server = createServer({
      ALPNProtocols: [ACME_TLS_ALPN],
      SNICallback: (servername, done) => {
        const ctx = this.responder.contextFor(servername)
        if (ctx) done(null, ctx)
        else done(new Error(`no TLS-ALPN-01 challenge pending for ${servername}`))
      },
    })
    // A validator only completes the handshake; nothing is ever read or written.
    server.on('secureConnection', (socket) => socket.end())
    server.on('tlsClientError', () => {})
    await listen(server, this.#host, this.#port, 'the TLS-ALPN-01 challenge listener')
    this.#server = server
  }
}
