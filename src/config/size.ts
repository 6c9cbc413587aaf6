/**
 * Byte sizes as written in `gatehouse.toml`, the environment and flags: `"110MB"`, `"10KiB"`, `"1.5GB"`,
 * `"512B"`, or a whole number of bytes. Decimal units (kB, MB, GB, TB) are powers of 1000 and binary
 * units (KiB, MiB, GiB, TiB) powers of 1024, as in IEC 80000-13 and Caddy; nginx's bare `M` is refused
 * because it means MiB there and MB almost everywhere else.
 */

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i

/** What a size may look like, for error messages. */
export const SIZE_HINT =
  'bytes, or a number with B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. "110MB")'

/** Parses a size into bytes; `"none"`/`"unlimited"` give `Infinity`. Throws a RangeError saying what is allowed. */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input
    throw new RangeError(`${input} is not a size; give ${SIZE_HINT}`)
  }
  const text = input.trim()
  if (/^(none|unlimited)$/i.test(text)) return Infinity
  const m = SIZE.exec(text)
  const unit = m?.[2]?.toLowerCase() ?? ''
  const factor = unit === '' ? (m?.[1]?.includes('.') ? undefined : 1) : UNITS[unit]
  if (!m || factor === undefined) {
    const hint = /^[kmgt]$/i.test(unit)
      ? `; write ${m?.[1]}${unit.toUpperCase()}B or ${m?.[1]}${unit.toUpperCase()}iB`
      : ''
    throw new RangeError(`${JSON.stringify(input)} is not a size; give ${SIZE_HINT}${hint}`)
  }
  const bytes = Math.floor(Number(m[1]) * factor)
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${JSON.stringify(input)} is too large`)
  return bytes
}

/** The shortest exact spelling of a byte count (`110000000` → `"110MB"`, `10240` → `"10KiB"`), or the number. */
export function formatSize(bytes: number): string | number {
  if (bytes === Infinity) return 'unlimited'
  for (const unit of ['TiB', 'TB', 'GiB', 'GB', 'MiB', 'MB', 'KiB', 'KB'] as const) {
    const factor = UNITS[unit.toLowerCase()] ?? 1
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`
  }
  return bytes
}
