import type { Identifier } from '../acme/types.js'
import { GatehouseError } from '../errors.js'
import { parseIdentifier } from '../issuance/identifiers.js'
import type { ManageOptions } from './renewal-consent.js'
import { RenewalSchedule } from './renewal-schedule.js'
import { optional } from './served-certificate.js'

/** One name as `status()` reports it: which certificate, when it renews, what failed. */
export interface ManagedStatus {
  name: string
  serialHex?: string
  notAfter?: Date
  /** When the manager will next try to issue (the retry time after a failure). */
  nextRenewal?: Date
  /** Whether the renewal time comes from the CA's ARI window or from the certificate's lifetime. */
  reason: 'ari' | 'lifetime'
  lastError?: Error
  /** Consecutive failed issuances. */
  failures: number
  ariExplanationURL?: string
}

/** One name (or group of names sharing a certificate) the manager keeps: its schedule and waiters. */
export interface Managed {
  readonly name: string
  readonly identifiers: Identifier[]
  readonly schedule: RenewalSchedule
  /** Tail of this name's issuance queue: one issuance per name at a time in this process. */
  busy: Promise<void>
  /** Aborted to make a sleeping loop look again (after `renewNow`). */
  wake: AbortController | undefined
  /** `ready()` callers, told whenever a certificate is published. */
  readonly waiters: Set<() => void>
  /** See {@link ManageOptions.mayRenew}; undefined for configured names. */
  readonly mayRenew: ManageOptions['mayRenew']
  /** Set while the last `mayRenew` answer denied (the event is emitted once per denial). */
  declined: boolean
}

/** A new name's state, with no certificate yet. `random` drives its schedule's jitter. */
export function newManaged(
  identifiers: Identifier[],
  random: () => number,
  mayRenew?: ManageOptions['mayRenew'],
): Managed {
  return {
    name: identifiers[0]?.value ?? '',
    identifiers,
    schedule: new RenewalSchedule(random),
    busy: Promise.resolve(),
    wake: undefined,
    waiters: new Set(),
    mayRenew,
    declined: false,
  }
}

/** What `status()` reports for `m`. */
export function statusOf({ name, schedule }: Managed): ManagedStatus {
  const due = schedule.dueAt
  return {
    name,
    ...optional('serialHex', schedule.served?.serialHex),
    ...optional('notAfter', schedule.served?.notAfter),
    ...(Number.isFinite(due) ? { nextRenewal: new Date(due) } : {}),
    reason: schedule.reason,
    ...optional('lastError', schedule.lastError),
    failures: schedule.failures,
    ...optional('ariExplanationURL', schedule.ariExplanationURL),
  }
}

/** The map key of a name as given by a caller: its parsed form, or the raw string when invalid. */
export function managedKey(name: string): string {
  try {
    return parseIdentifier(name).value
  } catch {
    return name
  }
}

/** The managed name `name` looks up in `managed`; a RangeError listing the managed ones when none. */
export function managedNamed(managed: ReadonlyMap<string, Managed>, name: string): Managed {
  const m = typeof name === 'string' ? managed.get(managedKey(name)) : undefined
  if (m === undefined) {
    const known = [...managed.keys()].join(', ')
    throw new RangeError(
      `${JSON.stringify(name)} is not managed here; list it in names (managed: ${known})`,
    )
  }
  return m
}

/** The ERR_TIMEOUT of a `ready()` that waited `timeoutMs` in vain, with the last issuance error. */
export function notReady(m: Managed, timeoutMs: number): GatehouseError {
  const { lastError, failures } = m.schedule
  const last = lastError ? `; last error: ${lastError.message}` : ''
  return new GatehouseError(
    'ERR_TIMEOUT',
    `no certificate for ${m.name} within ${timeoutMs} ms (${failures} failed attempts${last}); see status() or the renewal_failed events`,
    lastError ? { cause: lastError } : {},
  )
}
