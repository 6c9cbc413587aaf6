/** Rejects option keys that are not in `allowed`, suggesting the closest one (a likely typo). */
export function rejectUnknownOptions(
  what: string,
  options: object,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue
    const closest = [...allowed].sort((a, b) => distance(key, a) - distance(key, b))[0]
    const hint =
      closest !== undefined && distance(key, closest) <= 3 ? `did you mean "${closest}"? ` : ''
    throw new TypeError(
      `${what}: unknown option "${key}"; ${hint}known options: ${allowed.join(', ')}`,
    )
  }
}

/** Levenshtein distance, for typo suggestions only. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost))
    }
    prev = row
  }
  return prev[b.length] ?? 0
}

/** A positive finite number of milliseconds, or the default; RangeError names the option otherwise. */
export function checkMs(what: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive number of milliseconds, got ${String(value)}`)
  }
  return value
}
