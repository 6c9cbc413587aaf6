import type { InventoryEntry } from '../manager/certificate-inventory.js'
import type { NextRenewal } from '../manager/next-renewal.js'
import { shortDate } from './table.js'

/** `2026-12-01 10:00Z (ARI window 2026-12-01..12-02)`, `… (2/3 of lifetime)`, `… (retry 3)`. */
export function renewalText(c: InventoryEntry): string {
  if (c.revoked) return `- (revoked ${shortDate(c.revoked.at)})`
  const next = c.nextRenewal
  if (!next)
    return c.source === 'file' || c.source === 'folder' ? '- (file: not renewed here)' : '-'
  return `${shortDate(next.at)} (${why(next)})`
}

function why(next: NextRenewal): string {
  if (next.reason === 'retry') {
    const n = next.failures ?? 1
    return `retry after ${n} failure${n === 1 ? '' : 's'}`
  }
  if (next.reason === 'lifetime') return `${next.fraction ?? '2/3'} of lifetime`
  const start = next.window?.start.toISOString().slice(0, 10) ?? '?'
  const end = next.window?.end.toISOString().slice(0, 10) ?? '?'
  return `ARI window ${start}..${end.slice(0, 4) === start.slice(0, 4) ? end.slice(5) : end}`
}
