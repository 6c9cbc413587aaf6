/** Writes resolved values back as TOML text, for `gatehouse config`. */
import type { TomlOut } from './value-types.js'

const BARE = /^[A-Za-z0-9_-]+$/

/** A key as TOML spells it: bare when it can be, quoted otherwise. */
export function tomlKey(key: string): string {
  return BARE.test(key) ? key : JSON.stringify(key)
}

/**
 * A value on one line: strings in JSON form (whose escapes TOML's basic strings share: `\"`, `\\`,
 * `\n`, `\uXXXX`), arrays, and inline tables.
 */
export function tomlValue(value: TomlOut): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`
  const entries = Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`
}
