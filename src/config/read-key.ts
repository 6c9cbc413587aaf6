import type { ValueType } from './value-types.js'
import type { Where } from './where.js'

/** Reads one key: parsed when present, the fallback when not; the source is recorded either way. */
export type Read = <T>(key: string, type: ValueType<T>, fallback: T) => T

export function reader(t: Record<string, unknown>, where: Where): Read {
  return (key, type, fallback) => {
    const w = where.at(key)
    if (t[key] === undefined) {
      w.record('default')
      return fallback
    }
    w.record('file')
    return type.parse(t[key], w)
  }
}
