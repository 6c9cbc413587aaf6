import { GatehouseError } from '../errors.js'
import type { Identifier, Problem, Subproblem } from './types.js'

/** RFC 8555 §6.7: the namespace of ACME error types. */
export const ACME_URN = 'urn:ietf:params:acme:error:'

/**
 * The short names of the ACME error types (RFC 8555 §6.7 table, plus RFC 9773's `alreadyReplaced`).
 * `type` on the problem keeps the full URN; {@link AcmeProblemError.acmeType} has the short name.
 */
export type AcmeErrorType =
  | 'accountDoesNotExist'
  | 'alreadyReplaced'
  | 'alreadyRevoked'
  | 'badCSR'
  | 'badNonce'
  | 'badPublicKey'
  | 'badRevocationReason'
  | 'badSignatureAlgorithm'
  | 'caa'
  | 'compound'
  | 'connection'
  | 'dns'
  | 'externalAccountRequired'
  | 'incorrectResponse'
  | 'invalidContact'
  | 'invalidProfile'
  | 'malformed'
  | 'orderNotReady'
  | 'rateLimited'
  | 'rejectedIdentifier'
  | 'serverInternal'
  | 'tls'
  | 'unauthorized'
  | 'unsupportedContact'
  | 'unsupportedIdentifier'
  | 'userActionRequired'

/**
 * The ACME server answered with a problem document. The document is kept whole in `problem`
 * (type, detail, status, subproblems with their identifiers); `retryAfterMs` holds the response's
 * `Retry-After` when there was one.
 */
export class AcmeProblemError extends GatehouseError {
  readonly problem: Problem
  /** HTTP status of the response (may differ from `problem.status` on odd servers). */
  readonly status: number
  /** The short ACME type (`badNonce`, `rateLimited`, …), or `undefined` for non-ACME URNs. */
  readonly acmeType: AcmeErrorType | undefined
  /** `Retry-After` of the response, in milliseconds from when it was received. */
  readonly retryAfterMs: number | undefined
  /** The request URL that produced the problem. */
  readonly url: string

  constructor(
    problem: Problem,
    init: { status: number; url: string; retryAfterMs?: number | undefined; cause?: unknown },
  ) {
    super('ERR_ACME_PROBLEM', formatProblem(problem), { cause: init.cause })
    this.problem = problem
    this.status = init.status
    this.url = init.url
    this.retryAfterMs = init.retryAfterMs
    this.acmeType = problem.type.startsWith(ACME_URN)
      ? (problem.type.slice(ACME_URN.length) as AcmeErrorType)
      : undefined
  }

  /** The subproblems (RFC 8555 §6.7.1), or an empty list. */
  get subproblems(): Subproblem[] {
    return this.problem.subproblems ?? []
  }

  /** True if this problem (or any subproblem) concerns `identifier`. */
  concerns(identifier: Identifier): boolean {
    return this.subproblems.some(
      (s) => s.identifier?.type === identifier.type && s.identifier.value === identifier.value,
    )
  }
}

/** `rateLimited: too many certificates (detail) [dns example.com: …]`: one line, detail first. */
export function formatProblem(problem: Problem): string {
  const type = problem.type.startsWith(ACME_URN)
    ? problem.type.slice(ACME_URN.length)
    : problem.type
  let text = problem.detail ? `${type}: ${problem.detail}` : type
  for (const sub of problem.subproblems ?? []) {
    const who = sub.identifier ? `${sub.identifier.value}: ` : ''
    const subType = sub.type.startsWith(ACME_URN) ? sub.type.slice(ACME_URN.length) : sub.type
    text += `; ${who}${subType}${sub.detail ? ` (${sub.detail})` : ''}`
  }
  return text
}

/** Type guard for a problem of one ACME type. */
export function isAcmeProblem(err: unknown, type?: AcmeErrorType): err is AcmeProblemError {
  return err instanceof AcmeProblemError && (type === undefined || err.acmeType === type)
}
