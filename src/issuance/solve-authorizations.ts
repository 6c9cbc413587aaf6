import { performance } from 'node:perf_hooks'
import type { AcmeClient } from '../acme/client.js'
import { AcmeProblemError } from '../acme/problem.js'
import type { AuthorizationResource, ChallengeResource, Located } from '../acme/types.js'
import { throwIfAborted } from '../errors.js'
import {
  AuthorizationError,
  problemReason,
  type AuthorizationFailure,
} from './authorization-error.js'
import type { ChallengeContext, ChallengeSolver } from './challenge-solver.js'
import type { ObtainProgress } from './obtain.js'

interface SolveOptions {
  signal: AbortSignal | undefined
  progress: (event: ObtainProgress) => void
}

/**
 * Solves every authorization of an order in parallel (RFC 8555 §7.5). Valid ones are skipped. Every
 * authorization settles before this returns, so no solver is left presenting; then one
 * {@link AuthorizationError} names every identifier that failed.
 */
export async function solveAuthorizations(
  client: AcmeClient,
  urls: readonly string[],
  solvers: readonly ChallengeSolver[],
  options: SolveOptions,
): Promise<void> {
  const results = await Promise.allSettled(
    urls.map((url) => solveOne(client, url, solvers, options)),
  )
  throwIfAborted(options.signal)
  const failures: AuthorizationFailure[] = []
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason
    if (result.value) failures.push(result.value)
  }
  if (failures.length) throw new AuthorizationError(failures)
}

async function solveOne(
  client: AcmeClient,
  url: string,
  solvers: readonly ChallengeSolver[],
  { signal, progress }: SolveOptions,
): Promise<AuthorizationFailure | undefined> {
  const started = performance.now()
  const sig = signal ? { signal } : {}
  const authz = await client.getAuthorization(url, sig)
  const { identifier } = authz.body
  if (authz.body.status === 'valid') {
    progress({
      step: 'challenge',
      ms: performance.now() - started,
      identifier,
      challengeType: 'none',
      reused: true,
    })
    return undefined
  }
  if (authz.body.status !== 'pending') {
    return { identifier, reason: `authorization is ${authz.body.status}` }
  }
  const picked = pickChallenge(authz.body, solvers)
  if (!picked) {
    const offered = authz.body.challenges.map((c) => c.type).join(', ')
    const configured = solvers.map((s) => s.type).join(', ') || 'none'
    return {
      identifier,
      reason: `the CA offers ${offered}, but the configured challenge solvers are ${configured}`,
    }
  }
  const { solver, challenge } = picked
  const ctx: ChallengeContext = {
    identifier,
    wildcard: authz.body.wildcard === true,
    token: challenge.token ?? '',
    keyAuthorization: client.keyAuthorization(challenge.token ?? ''),
    dnsValue: client.dns01Value(challenge.token ?? ''),
  }
  let accepted = false
  try {
    await solver.present(ctx, sig)
    await solver.wait?.(ctx, sig)
    await client.acceptChallenge(challenge.url, sig)
    accepted = true
    const done = await client.waitForAuthorization(url, sig)
    if (done.body.status === 'valid') {
      progress({
        step: 'challenge',
        ms: performance.now() - started,
        identifier,
        challengeType: solver.type,
        reused: false,
      })
      return undefined
    }
    return failureOf(done, challenge.url, solver.type)
  } catch (err) {
    if (signal?.aborted || !accepted) await deactivateQuietly(client, url)
    if (signal?.aborted) throw err
    const problem = err instanceof AcmeProblemError ? err.problem : undefined
    return {
      identifier,
      challengeType: solver.type,
      ...(problem ? { problem } : {}),
      reason: err instanceof Error ? err.message : String(err),
      cause: err,
    }
  } finally {
    await solver.cleanup(ctx, sig).catch(() => {})
  }
}

function pickChallenge(
  authz: AuthorizationResource,
  solvers: readonly ChallengeSolver[],
): { solver: ChallengeSolver; challenge: ChallengeResource } | undefined {
  for (const solver of solvers) {
    const challenge = authz.challenges.find((c) => c.type === solver.type && c.status !== 'invalid')
    if (challenge) return { solver, challenge }
  }
  return undefined
}

function failureOf(
  authz: Located<AuthorizationResource>,
  challengeUrl: string,
  type: string,
): AuthorizationFailure {
  const challenge = authz.body.challenges.find((c) => c.url === challengeUrl)
  const problem = challenge?.error
  return {
    identifier: authz.body.identifier,
    challengeType: type,
    ...(problem ? { problem } : {}),
    reason: problemReason(problem, `authorization is ${authz.body.status}`),
  }
}

/** RFC 8555 §7.5.2: give up an authorization we will not complete, so it does not stay pending. */
async function deactivateQuietly(client: AcmeClient, url: string): Promise<void> {
  await client.deactivateAuthorization(url).catch(() => {})
}
