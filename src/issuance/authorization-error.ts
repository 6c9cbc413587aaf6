import { GatehouseError } from '../errors.js'
import type { Identifier, Problem } from '../acme/types.js'
import { formatProblem } from '../acme/problem.js'

/** Why one identifier could not be validated. */
export interface AuthorizationFailure {
  identifier: Identifier
  /** The challenge type tried, when one was. */
  challengeType?: string
  /** The CA's problem document for the challenge or authorization, kept whole. */
  problem?: Problem
  /** One line: the CA's detail, or the local reason (a solver that failed, no usable challenge). */
  reason: string
  cause?: unknown
}

/** One or more identifiers of an order failed validation. `failures` names each with the CA's detail. */
export class AuthorizationError extends GatehouseError {
  readonly failures: AuthorizationFailure[]

  constructor(failures: AuthorizationFailure[]) {
    const text = failures
      .map(
        (f) =>
          `${f.identifier.value}${f.challengeType ? ` (${f.challengeType})` : ''}: ${f.reason}`,
      )
      .join('; ')
    super('ERR_AUTHORIZATION_FAILED', `authorization failed for ${text}`, {
      cause: failures.find((f) => f.cause !== undefined)?.cause,
    })
    this.failures = failures
  }
}

export function problemReason(problem: Problem | undefined, fallback: string): string {
  return problem ? formatProblem(problem) : fallback
}
