import { createServer, type Server } from 'node:tls'
import type { ChallengeContext } from './challenge-solver.js'
import { StandaloneSolver, type StandaloneSolverOptions } from './standalone-solver.js'
import { ACME_TLS_ALPN, TlsAlpnResponder } from './tls-alpn-01-responder.js'

/**
 * TLS-ALPN-01 with its own TLS listener that negotiates only `acme-tls/1` and presents the challenge
 * certificate for the SNI name (RFC 8737 §3). Opened on the first `present`, closed after the last
 * `cleanup`.
 */
export class TlsAlpn01StandaloneSolver extends StandaloneSolver<TlsAlpnResponder> {
  readonly type = 'tls-alpn-01'

  constructor(options: StandaloneSolverOptions = {}) {
    super(new TlsAlpnResponder(), options, {
      defaultPort: 443,
      what: 'the TLS-ALPN-01 challenge listener',
    })
  }

  protected createServer(): Server {
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

  async present(
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    // Paired with the release in cleanup(), which runs whether or not present() succeeded.
    await this.acquireListener()
    await this.responder.add(challenge, options)
  }
}
