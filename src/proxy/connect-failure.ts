/**
 * Which upstream errors prove that a request never reached the upstream, so that an idempotent request
 * may be retried on another one (RFC 9110 §9.2.2) without the risk of running it twice.
 */

/**
 * Errors raised while opening a connection, before undici had a socket to write on. The upstream
 * connector ({@link markConnectFailure}) tags every error its connect callback reports; undici hands
 * those very objects to the requests that were waiting for the connection.
 */
const connectPhase = new WeakSet<object>()

/**
 * Codes that only exist before a connection is established, whoever raised them: the TCP handshake was
 * refused or timed out, the address could not be resolved or reached. `ECONNRESET` and `EPIPE` are
 * deliberately absent: on a kept-alive connection they arrive after the request was (perhaps) written.
 */
const CONNECT_ONLY_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** How deep `cause` chains are followed (a proxy may wrap undici's error once or twice). */
const MAX_CAUSE_DEPTH = 4

/** Records that `err` was raised while connecting, before any byte of a request was sent. */
export function markConnectFailure(err: unknown): void {
  if (typeof err === 'object' && err !== null) connectPhase.add(err)
}

/**
 * True for errors that mean the request never reached the upstream (safe to retry an idempotent
 * request): a refused, unreachable or timed-out connection, or a TLS handshake that failed (bad
 * certificate, reset during the handshake). False for everything that may have happened after the
 * request was written, such as a reset of a kept-alive connection or a response timeout.
 */
export function isConnectFailure(err: unknown): boolean {
  let current = err
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return false
    if (connectPhase.has(current)) return true
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && CONNECT_ONLY_CODES.has(code)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}
