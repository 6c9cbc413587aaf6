/**
 * The kinds of value a setting can hold. Each parses a TOML value (or, from the environment and
 * flags, text) into its resolved form, says what is allowed when it cannot, and formats the resolved
 * form back into TOML for `gatehouse config`. Errors go through {@link Where}, naming key and origin.
 */
import { isIP } from 'node:net'
import { isAbsolute, resolve } from 'node:path'
import { parseIdentifier } from '../issuance/identifiers.js'
import { DURATION_HINT, formatDuration, parseDuration } from './duration.js'
import { formatSize, parseSize, SIZE_HINT } from './size.js'
import type { Where } from './where.js'

export type TomlOut = string | number | boolean | TomlOut[] | { [key: string]: TomlOut }

export interface ValueType<T> {
  /** What is allowed, in words (for errors and the README). */
  readonly hint: string
  parse(raw: unknown, where: Where): T
  format(value: T): TomlOut | undefined
}

/** `"abc"`, `70000`, `true`: a value as the user wrote it, for messages. */
export function show(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw)
  if (Array.isArray(raw)) return 'an array'
  if (raw !== null && typeof raw === 'object') return 'a table'
  return String(raw)
}

export function isTable(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Date)
}

export const text: ValueType<string> = {
  hint: 'a string',
  parse(raw, where) {
    if (typeof raw !== 'string' || raw === '')
      return where.fail(`${show(raw)} is not a non-empty string`)
    if (/[\0\r\n]/.test(raw)) where.fail(`${show(raw)} holds a NUL or line break`)
    return raw
  },
  format: (v) => v,
}

/** A file or folder; relative paths resolve against the configuration file's folder (or the cwd). */
export const path: ValueType<string> = {
  hint: 'a path (relative to the configuration file)',
  parse(raw, where) {
    const p = text.parse(raw, where)
    return isAbsolute(p) ? p : resolve(where.baseDir, p)
  },
  format: (v) => v,
}

export const bool: ValueType<boolean> = {
  hint: 'true or false',
  parse(raw, where) {
    if (typeof raw === 'boolean') return raw
    if (where.text && typeof raw === 'string') {
      if (/^(1|true|yes|on)$/i.test(raw)) return true
      if (/^(0|false|no|off)$/i.test(raw)) return false
    }
    return where.fail(`${show(raw)} is not true or false`)
  },
  format: (v) => v,
}

export function int(min: number, max: number, hint?: string): ValueType<number> {
  const allowed = hint ?? `a whole number from ${min} to ${max}`
  return {
    hint: allowed,
    parse(raw, where) {
      const n = where.text && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
        return where.fail(`${show(raw)} is not allowed; give ${allowed}`)
      return n
    },
    format: (v) => v,
  }
}

export const port = int(-1, 65535, '1 to 65535, 0 for any free port or -1 to turn the listener off')

export const duration: ValueType<number> = {
  hint: DURATION_HINT,
  parse(raw, where) {
    if (typeof raw !== 'string' && typeof raw !== 'number')
      return where.fail(`give ${DURATION_HINT}`)
    try {
      return parseDuration(raw)
    } catch (err) {
      return where.fail((err as Error).message)
    }
  },
  format: formatDuration,
}

export const size: ValueType<number> = {
  hint: SIZE_HINT,
  parse(raw, where) {
    const value = where.text && typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw
    if (typeof value !== 'string' && typeof value !== 'number')
      return where.fail(`give ${SIZE_HINT}`)
    try {
      return parseSize(value)
    } catch (err) {
      return where.fail((err as Error).message)
    }
  },
  format: formatSize,
}

export function oneOf<T extends string>(values: readonly T[]): ValueType<T> {
  const hint = values.map((v) => JSON.stringify(v)).join(', ')
  return {
    hint: `one of ${hint}`,
    parse(raw, where) {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as T
      return where.fail(`${show(raw)} is not allowed; give one of ${hint}`)
    },
    format: (v) => v,
  }
}

/** A TOML array (a single value is taken as a one-element list); comma-separated from env and flags. */
export function list<T>(item: ValueType<T>, nonEmpty = false): ValueType<T[]> {
  return {
    hint: `a list of ${item.hint}`,
    parse(raw, where) {
      const items =
        where.text && typeof raw === 'string'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : Array.isArray(raw)
            ? raw
            : [raw]
      if (nonEmpty && items.length === 0) where.fail(`give at least one: ${item.hint}`)
      return items.map((v, i) => item.parse(v, Array.isArray(raw) ? where.at(i) : where))
    },
    format: (v) => v.map((x) => item.format(x) ?? ''),
  }
}

export const email: ValueType<string> = {
  hint: 'an email address',
  parse(raw, where) {
    const s = text.parse(raw, where)
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s)) where.fail(`${show(raw)} is not an email address`)
    return s
  },
  format: (v) => v,
}

export function url(protocols: readonly string[]): ValueType<string> {
  const hint = `a ${protocols.map((p) => `${p}//`).join(' or ')} URL`
  return {
    hint,
    parse(raw, where) {
      const s = text.parse(raw, where)
      let u: URL | undefined
      try {
        u = new URL(s)
      } catch {
        u = undefined
      }
      if (!u || !protocols.includes(u.protocol)) where.fail(`${show(raw)} is not ${hint}`)
      return s
    },
    format: (v) => v,
  }
}

/** An IP address or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
export const cidr: ValueType<string> = {
  hint: 'an IP address or CIDR block (e.g. "10.0.0.0/8")',
  parse(raw, where) {
    const s = text.parse(raw, where).trim()
    const [address = '', bits, extra] = s.split('/')
    const family = isIP(address)
    const max = family === 6 ? 128 : 32
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN
    if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max))
      where.fail(`${show(raw)} is not ${cidr.hint}`)
    return s
  },
  format: (v) => v,
}

/** `/…` with no query, fragment or whitespace. */
export const urlPath: ValueType<string> = {
  hint: 'a path starting with "/"',
  parse(raw, where) {
    const s = text.parse(raw, where)
    if (!s.startsWith('/') || /[\s?#]/.test(s))
      where.fail(`${show(raw)} is not a path starting with "/" (no spaces, query or fragment)`)
    return s
  },
  format: (v) => v,
}

/** Checks that `raw` is a table whose keys are all known; returns it. */
export function table(
  raw: unknown,
  where: Where,
  known: readonly string[],
): Record<string, unknown> {
  if (!isTable(raw)) return where.fail(`${show(raw)} is not a table`)
  for (const key of Object.keys(raw)) if (!known.includes(key)) where.unknownKey(key, known)
  return raw
}

/** A certificate name: exact or `*.` wildcard, lower-cased A-labels (or an IP address). */
export const hostName: ValueType<string> = {
  hint: 'a host name or `*.` wildcard',
  parse(raw, where) {
    try {
      return parseIdentifier(text.parse(raw, where)).value
    } catch (err) {
      return where.fail((err as Error).message)
    }
  },
  format: (v) => v,
}

/**
 * An on-demand allow-list entry: what {@link hostName} takes, plus `**.<domain>` for any depth
 * (src/manager/on-demand-patterns.ts).
 */
export const onDemandPattern: ValueType<string> = {
  hint: 'a host name, `*.` (one label) or `**.` (any depth) wildcard',
  parse(raw, where) {
    const s = text.parse(raw, where)
    if (!s.startsWith('**.')) return hostName.parse(s, where)
    const domain = hostName.parse(s.slice(3), where)
    if (domain.startsWith('*.') || !domain.includes('.')) {
      return where.fail(`${show(raw)}: **. needs a domain of at least two labels after it`)
    }
    return `**.${domain}`
  },
  format: (v) => v,
}

/** The address a listener binds: an IP address (`0.0.0.0`, `::`) or a local host name. */
export const listenHost: ValueType<string> = {
  hint: 'an IP address such as "0.0.0.0" or "::", or a host name',
  parse(raw, where) {
    const s = text.parse(raw, where)
    const bare = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s
    if (isIP(bare) === 0 && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(bare))
      where.fail(`${show(raw)} is not an IP address or host name (give the port as \`port\`)`)
    return bare
  },
  format: (v) => v,
}
