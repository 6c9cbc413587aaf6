/** Summary statistics of a benchmark row: pure functions over the per-run samples. */

export interface Summary {
  /** Number of samples. */
  runs: number
  /** Median, in milliseconds. */
  p50: number
  /** 90th percentile (nearest rank), in milliseconds. */
  p90: number
  min: number
  max: number
}

/**
 * Nearest-rank percentile: the smallest sample with at least `p` percent of samples at or below it.
 * With 5 runs the p90 is the slowest run, which is the honest answer for so few samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples; run at least once')
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is out of range; use (0, 100]`)
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, rank) - 1] as number
}

/** The median (mean of the two middle samples for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples; run at least once')
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const upper = sorted[mid] as number
  return sorted.length % 2 === 1 ? upper : (upper + (sorted[mid - 1] as number)) / 2
}

export function summarize(samples: readonly number[]): Summary {
  return {
    runs: samples.length,
    p50: median(samples),
    p90: percentile(samples, 90),
    min: Math.min(...samples),
    max: Math.max(...samples),
  }
}

/** Milliseconds as seconds with 3 decimals (`0.214 s`), the unit the table reports in. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`
}

/** A GitHub-flavoured Markdown table; cells are escaped for `|`. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|')
  const line = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
