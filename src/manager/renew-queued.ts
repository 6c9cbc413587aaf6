/**
 * One issuance for a managed name: queued behind any already running for it, held within the
 * manager's concurrency limit, and its certificate published with the event that says what it was.
 */
import type { Clock } from '../clock.js'
import type { Storage } from '../storage/storage.js'
import type { IssuanceLimiter } from './issuance-limiter.js'
import { issueLocked } from './issue-locked.js'
import type { Issuer } from './issuer.js'
import type { Managed } from './managed-name.js'
import type { ManagedPublisher } from './managed-publisher.js'
import type { RenewalRecordWriter } from './renewal-record.js'
import { optional, summarize } from './served-certificate.js'

/** What an issuance that did not fail did (see `RenewDueResult` in renew-once.ts). */
export type IssueOutcome = 'obtained' | 'renewed' | 'adopted' | 'not-due'

/** What a certificate manager's renewal steps work with: built once, shared by every name. */
export interface RenewDeps {
  storage: Storage
  issuer: Issuer
  clock: Clock
  records: RenewalRecordWriter
  limiter: IssuanceLimiter
  out: ManagedPublisher
}

/** Runs one issuance for `m` after any already queued for it, within the concurrency limit. */
export function renewQueued(
  deps: RenewDeps,
  m: Managed,
  force: boolean,
  signal: AbortSignal,
): Promise<IssueOutcome> {
  const run = m.busy.then(() => renewExclusive(deps, m, force, signal))
  m.busy = run.then(
    () => {},
    () => {},
  )
  return run
}

async function renewExclusive(
  deps: RenewDeps,
  m: Managed,
  force: boolean,
  signal: AbortSignal,
): Promise<IssueOutcome> {
  const { storage, issuer, clock, limiter, out } = deps
  // Re-checked here: a queued call may find the work done by the one before it.
  if (!force && clock.now() < m.schedule.dueAt) return 'not-due'
  await limiter.acquire(signal)
  try {
    const previous = m.schedule.served
    const outcome = await issueLocked({ storage, issuer, clock }, m, force, signal)
    if (outcome.adopted) out.publish(m, outcome.served, true, { type: 'loaded' })
    else if (previous === undefined) out.publish(m, outcome.served, true, { type: 'obtained' })
    else {
      const replaces = optional('replaces', outcome.replaces)
      const event = { type: 'renewed' as const, previous: summarize(previous), ...replaces }
      out.publish(m, outcome.served, true, event)
    }
    return outcome.adopted ? 'adopted' : previous === undefined ? 'obtained' : 'renewed'
  } catch (err) {
    // Cancelled is not failed: nothing to retry.
    if (!signal.aborted) out.failed(m, err)
    throw err
  } finally {
    limiter.release()
  }
}
