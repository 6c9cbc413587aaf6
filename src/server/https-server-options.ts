/** The options of HttpsServer (https-server.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { ChallengeStore } from '../issuance/challenge-store.js'
import type { Http01Responder } from '../issuance/http-01-responder.js'
import type { TlsAlpnResponder } from '../issuance/tls-alpn-01-responder.js'
import type { GatewayLimits } from '../proxy/types.js'
import type { CertificateLookup } from './certificate-sources.js'
import type { TicketKeyRing } from './ticket-keys.js'

/** Where a listener binds. `port: 0` takes any free port; `port: -1` disables the listener. */
export interface ListenerOptions {
  /** Default `0.0.0.0`. */
  host?: string
  /** Default 443 for HTTPS, 80 for HTTP. */
  port?: number
}

export interface HstsOptions {
  /** Seconds. Default 31 536 000 (one year). */
  maxAgeSeconds?: number
  includeSubDomains?: boolean
  preload?: boolean
}

export type RequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void

export interface HttpsServerOptions {
  /** The certificates served, looked up synchronously by SNI name (a CertificateCache or CertificateSources). */
  cache: CertificateLookup
  /**
   * Served to clients that send no SNI (an IP address in the URL) and for names with no certificate,
   * instead of failing the handshake. Default: none, so such handshakes fail. A certificate in
   * `cache` for the local IP address a connection arrived on takes its place for that connection.
   */
  defaultCertificate?: { certificatePem: string; privateKeyPem: string }
  https?: ListenerOptions
  http?: ListenerOptions
  /** HTTP-01 answers, shared with the issuance solvers. Default: a new responder. */
  http01?: Http01Responder
  /** TLS-ALPN-01 answers, shared with the issuance solvers. Default: a new responder. */
  tlsAlpn?: TlsAlpnResponder
  /**
   * Pending answers shared with other processes (workers, instances): the default responders fall
   * back to it, so whichever process the validator reaches can answer. Default: none.
   */
  challengeStore?: ChallengeStore
  /** Send Strict-Transport-Security on HTTPS responses. Default off. */
  hsts?: boolean | HstsOptions
  /**
   * Offer HTTP/2 (ALPN `h2`, RFC 9113 §3.2). Default true. `false` selects only `http/1.1` (RFC 7301
   * §3.2: the server picks from the client's list), so every request reaches the app as `node:http`
   * objects: for apps that break on Node's HTTP/2 compatibility objects (Express 4 and 5 replace the
   * request's prototype with one built on `http.IncomingMessage`).
   */
  http2?: boolean
  /** Hosts the HTTP listener redirects to HTTPS. Default: hosts the cache has a certificate for. */
  redirects?: (host: string) => boolean
  /**
   * Tried on the HTTP listener after HTTP-01 and before the redirect; returns true when it answered
   * (a health endpoint, for load balancers and checks that speak no TLS). Default: none.
   */
  httpFirst?: (req: IncomingMessage, res: ServerResponse) => boolean
  /**
   * Called during a handshake for a name with no certificate yet (one being obtained, say); resolve
   * true once `cache` has one. Bounded by `certificateWaitMs`.
   */
  waitForCertificate?: (servername: string, signal: AbortSignal) => Promise<boolean>
  /** Milliseconds a handshake waits in `waitForCertificate`. Default 10 000. */
  certificateWaitMs?: number
  /**
   * Session-ticket keys shared with other servers (see TicketKeyRing), applied now and on every
   * rotation. The caller starts and stops the ring. Default: Node's per-server random key.
   */
  ticketKeys?: TicketKeyRing
  /**
   * Header, URL and timeout limits, applied when the app is a {@link Gateway} (see
   * gateway-listeners.ts for the defaults).
   */
  limits?: Partial<GatewayLimits>
}
