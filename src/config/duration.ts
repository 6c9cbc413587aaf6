/**
 * Durations as written in `gatehouse.toml`, the environment and flags: `"250ms"`, `"30s"`, `"5m"`,
 * `"2h"`, `"1d"`, and sums of them (`"1h30m"`, as Go's time.ParseDuration reads). A bare number is
 * refused (is `30` seconds or milliseconds?), except `0`.
 */

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy

/** What a duration may look like, for error messages. */
export const DURATION_HINT = 'a number with ms, s, m, h or d (e.g. "30s", "5m", "1d", "1h30m")'

/** Parses a duration into milliseconds. Throws a RangeError saying what is allowed. */
export function parseDuration(input: string | number): number {
  if (input === 0 || input === '0') return 0
  if (typeof input === 'number') {
    throw new RangeError(`${input} has no unit; give ${DURATION_HINT}`)
  }
  const text = input.trim()
  let ms = 0
  let end = 0
  PART.lastIndex = 0
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    ms += Number(m[1]) * (UNITS[m[2] ?? ''] ?? NaN)
    end = PART.lastIndex
  }
  if (text === '' || end !== text.length || !Number.isFinite(ms)) {
    const unitless = /^\d+(\.\d+)?$/.test(text) ? ' has no unit' : ' is not a duration'
    throw new RangeError(`${JSON.stringify(input)}${unitless}; give ${DURATION_HINT}`)
  }
  return Math.round(ms)
}

/** The shortest exact spelling of a duration (`86400000` → `"1d"`, `90000` → `"1m30s"`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  let rest = ms
  let out = ''
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const factor = UNITS[unit] ?? 1
    const n = Math.floor(rest / factor)
    if (n > 0) {
      out += `${n}${unit}`
      rest -= n * factor
    }
  }
  return out
}
