/**
 * One name of `CertificateManager.renewDue`: the look the renewal loop takes at it, taken
 * once, with what it did reported rather than thrown.
 */
import { statusOf, type Managed, type ManagedStatus } from './managed-name.js'
import { refreshAri } from './refresh-ari.js'
import { renewQueued, type IssueOutcome, type RenewDeps } from './renew-queued.js'
import { optional } from './served-certificate.js'

/** What `CertificateManager.renewDue` did for one name. */
export interface RenewDueResult {
  name: string
  /**
   * `obtained` (there was none), `renewed`, `adopted` (another process had just renewed it),
   * `not-due` (nothing to do yet), `failed` (see `error`; recorded and retried as usual).
   */
  outcome: IssueOutcome | 'failed'
  status: ManagedStatus
  /** The CertID sent as `replaces` (RFC 9773 §5) when `renewed`. */
  replaces?: string
  error?: Error
}

/**
 * Asks for renewal info when it is time to ask (RFC 9773 §4.3), then renews when due, or whatever
 * the schedule says with `force`. Throws only when `signal` aborted.
 */
export async function renewOnce(
  deps: RenewDeps,
  m: Managed,
  force: boolean,
  signal: AbortSignal,
): Promise<RenewDueResult> {
  const previous = m.schedule.served?.certId
  let outcome: IssueOutcome
  try {
    await refreshAri(deps, m, signal)
    outcome =
      force || deps.clock.now() >= m.schedule.dueAt
        ? await renewQueued(deps, m, force, signal)
        : 'not-due'
  } catch (err) {
    if (signal.aborted) throw err
    const error = err instanceof Error ? err : new Error(String(err))
    return { name: m.name, outcome: 'failed', status: statusOf(m), error }
  }
  const replaces = outcome === 'renewed' ? optional('replaces', previous) : {}
  return { name: m.name, outcome, status: statusOf(m), ...replaces }
}
