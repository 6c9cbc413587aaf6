/**
 * The tables of the proxy bench, from the per-run samples: medians, and per-core throughput as a
 * ratio to Caddy and nginx measured in the same run (their CPU µs per request ÷ the row's, so 1.5×
 * means 1.5 times Caddy's requests per core-second).
 */
import type { OpenLoopResult } from './open-loop.js'
import type { ThroughputSample, WebSocketSample } from './proxy-phases.js'
import { markdownTable, median } from './stats.js'

export interface RowSamples<S> {
  key: string
  label: string
  samples: S[]
  /** The round each sample was taken in (rows run in turn within a round), when rounds were run. */
  rounds?: number[]
}

const fixed = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–'

function medianOf<S>(row: RowSamples<S> | undefined, pick: (s: S) => number): number | undefined {
  if (!row || row.samples.length === 0) return undefined
  return median(row.samples.map(pick))
}

/** HTTP/1.1 or HTTP/2 throughput rows; `unavailable` rows are listed with their reason. */
export function throughputTable(
  rows: readonly RowSamples<ThroughputSample>[],
  unavailable: ReadonlyMap<string, string>,
): string {
  const us = (key: string): number | undefined =>
    medianOf(
      rows.find((r) => r.key === key),
      (s) => s.usPerRequest,
    )
  const [caddy, nginx] = [us('caddy'), us('nginx')]
  const caddyRow = rows.find((r) => r.key === 'caddy')
  const ratio = (base: number | undefined, mine: number): string =>
    base === undefined ? '–' : `${(base / mine).toFixed(2)}×`
  const body = rows.map((r) => {
    const mine = median(r.samples.map((s) => s.usPerRequest))
    const p99 = r.samples.flatMap((s) => (s.p99Ms === undefined ? [] : [s.p99Ms]))
    return [
      r.label,
      fixed(median(r.samples.map((s) => s.perSecond))),
      `${fixed(mine, 1)} µs`,
      ratio(caddy, mine),
      pairedRatio(caddyRow, r),
      ratio(nginx, mine),
      p99.length > 0 ? `${fixed(median(p99), 2)} ms` : '–',
      String(r.samples.reduce((n, s) => n + s.failed, 0)),
      r.samples.map((s) => fixed(s.usPerRequest, 1)).join(', '),
    ]
  })
  const missing = [...unavailable].map(([label, why]) => [
    label,
    `not available: ${why}`,
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ])
  const header = [
    'Proxy',
    'req/s',
    'proxy CPU / request',
    'per core vs Caddy',
    'vs Caddy, paired',
    'per core vs nginx',
    'p99 (closed loop)',
    'failed',
    'runs (µs / request)',
  ]
  return markdownTable(header, [...body, ...missing])
}

/**
 * The median over rounds of Caddy's CPU per request ÷ the row's in the same round. The host's noise
 * moves both rows of a round together (runs of one row spread by up to 1.7× here), so the ratio
 * within a round is steadier than the ratio of the two medians; the range of the rounds' ratios
 * follows in brackets.
 */
export function pairedRatio(
  base: RowSamples<ThroughputSample> | undefined,
  row: RowSamples<ThroughputSample>,
): string {
  if (!base?.rounds || !row.rounds) return '–'
  const ratios: number[] = []
  for (const [i, round] of row.rounds.entries()) {
    const j = base.rounds.indexOf(round)
    const mine = row.samples[i]
    const theirs = j === -1 ? undefined : base.samples[j]
    if (mine && theirs) ratios.push(theirs.usPerRequest / mine.usPerRequest)
  }
  if (ratios.length === 0) return '–'
  const lo = Math.min(...ratios).toFixed(2)
  const hi = Math.max(...ratios).toFixed(2)
  return `${median(ratios).toFixed(2)}× (${lo}–${hi})`
}

/** Latency at a fixed rate; `direct` is the origin without a proxy, subtracted for "added p99". */
/** A latency run with the hypervisor's steal time during it (all vCPUs, USER_HZ ticks). */
export type LatencySample = OpenLoopResult & { stealTicks?: number }

/**
 * Latency rows. A run during which the hypervisor took at least `quietSteal` ticks from this VM is
 * "noisy": its stalls are no server's doing (on this host the p99 of every server, nginx included,
 * went from under 1.2 ms to 5 to 12 ms in such runs). The `quiet` column is the median p99 of the
 * other runs; the plain p99 column keeps every run.
 */
export function latencyTable(
  direct: readonly LatencySample[],
  rows: readonly RowSamples<LatencySample>[],
  quietSteal = Infinity,
): string {
  const base = direct.length > 0 ? median(direct.map((r) => r.p99Ms)) : NaN
  const isQuiet = (s: LatencySample): boolean => (s.stealTicks ?? 0) < quietSteal
  const line = (label: string, samples: readonly LatencySample[], added: boolean): string[] => {
    const p99 = median(samples.map((s) => s.p99Ms))
    const quiet = samples.filter(isQuiet)
    const quietP99 = quiet.length > 0 ? median(quiet.map((s) => s.p99Ms)) : NaN
    return [
      label,
      fixed(median(samples.map((s) => s.rate))),
      `${fixed(median(samples.map((s) => s.p50Ms)), 2)} ms`,
      `${fixed(p99, 2)} ms`,
      added ? `${fixed(p99 - base, 2)} ms` : '(baseline)',
      quiet.length === 0
        ? 'no quiet run'
        : `${fixed(quietP99, 2)} ms (${added ? `+${fixed(quietP99 - base, 2)}` : 'baseline'}, ${quiet.length} runs)`,
      `${fixed(median(samples.map((s) => s.maxMs)), 1)} ms`,
      String(samples.reduce((n, s) => n + s.errors, 0)),
      samples
        .map((s) => `${fixed(s.p99Ms, 2)}${s.stealTicks === undefined ? '' : ` (${s.stealTicks})`}`)
        .join(', '),
    ]
  }
  const header = [
    'Target',
    'achieved req/s',
    'p50',
    'p99',
    'added p99',
    'p99 of quiet runs (added)',
    'max',
    'errors',
    'runs: p99 ms (steal ticks)',
  ]
  const body = [
    ...(direct.length > 0 ? [line('origin directly (plain HTTP)', direct, false)] : []),
    ...rows.map((r) => line(r.label, r.samples, true)),
  ]
  return markdownTable(header, body)
}

/** Idle WebSockets held: memory per connection as the growth of the proxy's RSS. */
export function webSocketTable(rows: readonly RowSamples<WebSocketSample>[]): string {
  const header = [
    'Proxy',
    'opened / asked',
    'echoed after idle',
    'closed while idle',
    'RSS before',
    'RSS with all open',
    'per connection (median)',
    'runs (KiB / connection)',
  ]
  const body = rows.map((r) => {
    const last = r.samples[r.samples.length - 1]
    const mib = (kib: number | undefined): string =>
      kib === undefined ? '–' : `${fixed(kib / 1024, 1)} MiB`
    return [
      r.label,
      `${last?.open ?? 0} / ${last?.requested ?? 0}${last?.firstError ? ` (${last.firstError})` : ''}`,
      String(last?.echoed ?? 0),
      String(last?.closedWhileIdle ?? 0),
      mib(last?.rssBeforeKiB),
      mib(last?.rssAfterKiB),
      `${fixed(median(r.samples.map((s) => s.kibPerConnection)), 1)} KiB`,
      r.samples.map((s) => fixed(s.kibPerConnection, 1)).join(', '),
    ]
  })
  return markdownTable(header, body)
}
