/**
 * Errors are data: every error Gatehouse throws on purpose is a {@link GatehouseError} with a stable
 * `code`, so callers can `switch (err.code)` instead of matching message text. Bad arguments to a
 * function are plain `TypeError`/`RangeError`, as in Node's own APIs.
 */

/** Every stable error code Gatehouse uses. Adding a code is fine; renaming one is a breaking change. */
export type ErrorCode =
  /** The ACME server answered with a problem document (RFC 8555 §6.7); see `AcmeProblemError`. */
  | 'ERR_ACME_PROBLEM'
  /** The ACME server answered with something that is not valid ACME (bad JSON, missing header, …). */
  | 'ERR_ACME_PROTOCOL'
  /** A network error talking to the ACME server (refused, reset, DNS, TLS). */
  | 'ERR_ACME_NETWORK'
  /** A bounded retry or poll loop ran out of attempts or time; the last error is the `cause`. */
  | 'ERR_RETRY_EXHAUSTED'
  /** The operation was cancelled through its `AbortSignal`. */
  | 'ERR_ABORTED'
  /** The CA does not offer what was asked for (a profile, ARI, a challenge type, …). */
  | 'ERR_UNSUPPORTED'
  /** An identifier (DNS name or IP address) is not acceptable. */
  | 'ERR_INVALID_IDENTIFIER'
  /** One or more authorizations failed; `identifier` and the CA's detail are on the error. */
  | 'ERR_AUTHORIZATION_FAILED'
  /** A challenge solver could not present or clean up its answer. */
  | 'ERR_SOLVER'
  /** A DNS provider failed (an exec script exited non-zero, an RFC 2136 update was refused, …). */
  | 'ERR_DNS_PROVIDER'
  /** A DNS-01 record did not become visible at the checked resolver in time. */
  | 'ERR_DNS_PROPAGATION'
  /** Storage could not read or write (permissions, disk full, corrupt file). */
  | 'ERR_STORAGE'
  /** A lock is held by someone else. */
  | 'ERR_LOCKED'
  /** Configuration or command-line input is invalid. */
  | 'ERR_CONFIG'
  /** A certificate, key or CSR could not be parsed or does not match. */
  | 'ERR_CERTIFICATE'
  /** A bounded wait ran out (e.g. no certificate became ready in time); the last error is the `cause`. */
  | 'ERR_TIMEOUT'

/** Base class of every error Gatehouse throws on purpose. */
export class GatehouseError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The operation was cancelled. `cause` is the signal's reason. */
export class AbortedError extends GatehouseError {
  constructor(reason?: unknown) {
    super('ERR_ABORTED', 'the operation was aborted', { cause: reason })
  }
}

/** A bounded retry loop gave up; `cause` is the last error seen. */
export class RetryExhaustedError extends GatehouseError {
  readonly attempts: number

  constructor(what: string, attempts: number, cause: unknown) {
    const last = cause instanceof Error ? `: ${cause.message}` : ''
    super('ERR_RETRY_EXHAUSTED', `${what} gave up after ${attempts} attempts${last}`, { cause })
    this.attempts = attempts
  }
}

/** Throws {@link AbortedError} if the signal is aborted. Call at the head of every loop. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(signal.reason)
}
