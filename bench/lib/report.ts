import type { Environment } from './environment.js'
import type { Sample } from './row.js'
import { markdownTable, seconds, summarize, type Summary } from './stats.js'

export interface RowResult {
  id: string
  label: string
  command: string
  samples: Sample[]
  /** Wall time per certificate. */
  wall: Summary
  /** Client CPU time per certificate. */
  cpu: Summary
  /** This row's median wall time over Gatehouse in-process's; absent without that row. */
  ratio?: number
}

export interface ConcurrentResult {
  id: string
  label: string
  command: string
  certificates: number
  /** Wall time from the first start to the last certificate, in ms. */
  wallMs: number
  /** CPU time of all clients together, in ms. */
  cpuMs: number
  ratio?: number
}

export interface BenchReport {
  environment: Environment
  pinned: boolean
  runs: number
  rows: RowResult[]
  concurrent: ConcurrentResult[]
  /** 1-minute load average when the last row finished. */
  loadAverageEnd?: number
  /** Rows that could not be measured and why. */
  skipped: { id: string; reason: string }[]
}

/** Summaries and ratios from the raw samples; `baseline` is the id every ratio is relative to. */
export function rowResult(
  base: { id: string; label: string; command: string },
  samples: Sample[],
): RowResult {
  return {
    ...base,
    samples,
    wall: summarize(samples.map((s) => s.wallMs)),
    cpu: summarize(samples.map((s) => s.cpuMs)),
  }
}

export function addRatios(report: BenchReport, baseline: string): void {
  const sequential = report.rows.find((r) => r.id === baseline)?.wall.p50
  if (sequential) for (const row of report.rows) row.ratio = row.wall.p50 / sequential
  const concurrent = report.concurrent.find((r) => r.id === baseline)?.wallMs
  if (concurrent) for (const row of report.concurrent) row.ratio = row.wallMs / concurrent
}

const ratio = (r: number | undefined): string => (r === undefined ? 'n/a' : `${r.toFixed(1)}×`)

export function markdownReport(report: BenchReport): string {
  const sequential = markdownTable(
    ['Client', 'Runs', 'p50 wall / cert', 'p90 wall / cert', 'p50 CPU / cert', 'p50 vs Gatehouse'],
    report.rows.map((r) => [
      r.label,
      String(r.wall.runs),
      seconds(r.wall.p50),
      seconds(r.wall.p90),
      seconds(r.cpu.p50),
      ratio(r.ratio),
    ]),
  )
  const concurrent = markdownTable(
    ['Client', 'Certificates', 'Wall for all', 'Wall / cert', 'CPU for all', 'Wall vs Gatehouse'],
    report.concurrent.map((r) => [
      r.label,
      String(r.certificates),
      seconds(r.wallMs),
      seconds(r.wallMs / r.certificates),
      seconds(r.cpuMs),
      ratio(r.ratio),
    ]),
  )
  const skipped = report.skipped.map((s) => `- ${s.id} not measured: ${s.reason}`)
  const load = `Load average (1 min): ${report.environment.loadAverage.toFixed(1)} at start, ${report.loadAverageEnd?.toFixed(1) ?? '?'} at end; ${report.pinned ? 'clients on core 0, Pebble on core 1' : 'not pinned'}.`
  return [
    load,
    '',
    '### One certificate at a time',
    '',
    sequential,
    '',
    '### Concurrent issuance',
    '',
    concurrent,
    ...(skipped.length ? ['', ...skipped] : []),
    '',
  ].join('\n')
}
