import { createServer } from 'node:tls'
import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import { LazyListener } from './lazy-listener.js'
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
  readonly #listener: LazyListener

  constructor(options: TlsAlpn01StandaloneOptions = {}) {
    const create = (): ReturnType<typeof createServer> => {
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
      return server
    }
    this.#listener = new LazyListener(
      create,
      options.host ?? '0.0.0.0',
      options.port ?? 443,
      'the TLS-ALPN-01 challenge listener',
    )
  }

  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    // Paired with the release in cleanup(), which runs whether or not present() succeeded.
    await this.#listener.acquire()
    await this.responder.add(challenge, options)
  }

  async cleanup(challenge: ChallengeContext): Promise<void> {
    this.responder.remove(challenge)
    await this.#listener.release()
  }
}
