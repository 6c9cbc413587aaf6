import type { NameTable } from './name-table.js'
import type { CertEntry } from './cert-entry.js'

/** An index slot: one entry, or several sorted best first (latest notAfter, then newest set). */
export type Slot = CertEntry | CertEntry[]

/** The entry a slot serves: the first, the best. */
export function best(slot: Slot): CertEntry | undefined {
  return Array.isArray(slot) ? slot[0] : slot
}

/** Adds `entry` under `key`, keeping the slot sorted best first. */
export function addToSlot(index: NameTable<Slot>, key: string, entry: CertEntry): void {
  const slot = index.get(key)
  if (slot === undefined) {
    index.set(key, entry)
    return
  }
  const list = Array.isArray(slot) ? slot : [slot]
  // Best first: latest notAfter; on a tie the newcomer goes ahead of older entries.
  const at = list.findIndex((e) => e.notAfter.getTime() <= entry.notAfter.getTime())
  list.splice(at === -1 ? list.length : at, 0, entry)
  index.set(key, list)
}

/** Removes `entry` from the slot under `key` (the slot goes when it is empty). */
export function removeFromSlot(index: NameTable<Slot>, key: string, entry: CertEntry): void {
  const slot = index.get(key)
  if (slot === undefined) return
  if (!Array.isArray(slot)) {
    if (slot === entry) index.delete(key)
    return
  }
  const rest = slot.filter((e) => e !== entry)
  if (rest.length === 0) index.delete(key)
  else index.set(key, rest.length === 1 ? (rest[0] as CertEntry) : rest)
}
