import { createHash } from 'node:crypto'

/** Longest key part, in bytes: leaves room under NAME_MAX (255) for a `.tmp-<random>` suffix. */
export const MAX_KEY_PART_BYTES = 200

/** Length of the hash suffix that keeps truncated parts distinct. */
const HASH_SUFFIX_CHARS = 16

/**
 * Turns any string (a host name, an e-mail address, a CA URL) into one safe key part, after
 * certmagic's `safe`: lower-case, `*` becomes `wildcard_`, anything outside `[a-z0-9._@-]` becomes
 * `_`, runs of dots collapse so `..` can never appear, and the result is never empty, `.` or `..`.
 * Parts longer than {@link MAX_KEY_PART_BYTES} are cut and end in a hash of the whole input, so two
 * long names that share a prefix stay apart. Pure; the same input always gives the same part.
 */
export function safeKeyPart(s: string): string {
  if (typeof s !== 'string') {
    throw new TypeError(`safeKeyPart expects a string, got ${typeof s}`)
  }
  let part = s
    .trim()
    .toLowerCase()
    .replaceAll('*', 'wildcard_')
    .replace(/[^a-z0-9._@-]/g, '_')
    .replace(/\.{2,}/g, '.')
  if (part === '' || part === '.') part = '_'
  if (part.length > MAX_KEY_PART_BYTES) {
    const hash = createHash('sha256').update(s).digest('hex').slice(0, HASH_SUFFIX_CHARS)
    part = `${part.slice(0, MAX_KEY_PART_BYTES - HASH_SUFFIX_CHARS - 1)}-${hash}`
  }
  return part
}

/**
 * Checks that `key` is a relative `/`-separated path that cannot leave the storage root: no empty
 * parts (so no leading `/`, `//` or trailing `/`), no `.` or `..`, no `\` (a separator on Windows),
 * no NUL, no drive letter, no part over {@link MAX_KEY_PART_BYTES} bytes. Returns the parts.
 * Throws a TypeError naming the key and the fix.
 */
export function validateKey(key: string): string[] {
  if (typeof key !== 'string') {
    throw new TypeError(`storage key must be a string, got ${typeof key}`)
  }
  const shown = JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)
  const fail = (why: string): never => {
    throw new TypeError(`invalid storage key ${shown}: ${why}; build key parts with safeKeyPart()`)
  }
  if (key === '') fail('it is empty')
  if (key.includes('\0')) fail('it contains NUL')
  if (key.includes('\\')) fail('it contains a backslash')
  if (key.startsWith('/')) fail('it is absolute (starts with "/")')
  const parts = key.split('/')
  if (/^[A-Za-z]:$/.test(parts[0] ?? '')) fail('it starts with a drive letter')
  for (const part of parts) {
    if (part === '') fail('it has an empty part ("//" or a trailing "/")')
    if (part === '.' || part === '..') fail(`it has a "${part}" part`)
    if (Buffer.byteLength(part) > MAX_KEY_PART_BYTES) {
      fail(`a part is longer than ${MAX_KEY_PART_BYTES} bytes`)
    }
  }
  return parts
}

/** Checks a `list` prefix: `''` (the root) or a valid key. Returns the parts. */
export function validatePrefix(prefix: string): string[] {
  return prefix === '' ? [] : validateKey(prefix)
}
