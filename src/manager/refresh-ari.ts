import type { Clock } from '../clock.js'
import type { Issuer } from './issuer.js'
import type { Managed } from './managed-name.js'
import type { RenewalRecordWriter } from './renewal-record.js'

/**
 * RFC 9773 §4.3: asks the issuer for `m`'s renewal window when the last answer's Retry-After (at
 * most 12 h) is over, and records a changed renewal time. A failed question keeps the window it had
 * (or the lifetime rule) and is asked again later; it throws only when `signal` aborted.
 */
export async function refreshAri(
  deps: { issuer: Issuer; clock: Clock; records: RenewalRecordWriter },
  m: Managed,
  signal: AbortSignal,
): Promise<void> {
  const { issuer, clock, records } = deps
  const served = m.schedule.served
  const now = clock.now()
  if (!issuer.renewalInfo || served === undefined || !m.schedule.ariDue(now)) return
  try {
    const info = await issuer.renewalInfo(served.certificatePem, { signal })
    const before = m.schedule.record(now)
    m.schedule.ariAnswered(served.serialHex, info, now)
    const after = m.schedule.record(now)
    if (after.renewAt !== before.renewAt || after.reason !== before.reason) {
      records.write(m.name, after)
    }
  } catch (err) {
    if (signal.aborted) throw err
    m.schedule.ariFailed(now)
  }
}
