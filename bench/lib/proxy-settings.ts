/**
 * Options of the proxy bench (listed with their defaults in BENCHMARKS.md). `--quick` shortens every
 * phase to a smoke run of a few seconds per row; options given explicitly still win.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { PROXY_CONTENDERS, type ProxyContender } from './proxy-contenders.js'
import type { LatencyShape, LoadShape } from './proxy-phases.js'

const DEFAULT_WS_ROWS = ['gatehouse', 'nginx']
/** Every row but the multi-process ones, which only the WebSocket phase needs (see `processes`). */
const DEFAULT_ONLY = PROXY_CONTENDERS.filter((c) => (c.processes ?? 1) === 1)
  .map((c) => c.key)
  .join(',')

export const PHASES = ['h1', 'h2', 'latency', 'ws'] as const
export type Phase = (typeof PHASES)[number]
/** Fewer runs than this give no meaningful median (only `--quick` smoke runs go below). */
const MIN_RUNS = 3

export interface Settings {
  runs: number
  load: LoadShape
  warmupS: number
  latency: LatencyShape
  ws: { count: number; holdMs: number; rows: string[] }
  phases: Phase[]
  contenders: ProxyContender[]
  dir: string
}

/** Reads the bench's arguments; a bad value is a RangeError naming the option. */
export function proxySettings(args: string[], clientCpu: string): Settings {
  const { values: v } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '50' },
      'h2-connections': { type: 'string', default: '10' },
      'h2-streams': { type: 'string', default: '10' },
      rate: { type: 'string', default: '1000' },
      'latency-duration': { type: 'string' },
      ws: { type: 'string' },
      'ws-hold': { type: 'string' },
      'ws-rows': { type: 'string' },
      only: { type: 'string', default: DEFAULT_ONLY },
      phases: { type: 'string', default: PHASES.join(',') },
      dir: { type: 'string', default: join(tmpdir(), 'gatehouse-bench-proxy') },
    },
  })
  const q = v.quick
  const num = (
    value: string | undefined,
    quick: number,
    full: number,
    name: string,
    min = 1,
  ): number => {
    const n = Number(value ?? (q ? quick : full))
    if (!Number.isFinite(n) || n < min)
      throw new RangeError(`--${name} ${value} must be a number >= ${min}`)
    return n
  }
  const runs = num(v.runs, 1, MIN_RUNS, 'runs', q ? 1 : MIN_RUNS)
  const keys = v.only.split(',')
  const unknown = keys.filter((k) => !PROXY_CONTENDERS.some((c) => c.key === k))
  if (unknown.length > 0)
    throw new RangeError(
      `--only ${unknown.join(',')} unknown; use ${PROXY_CONTENDERS.map((c) => c.key).join(',')}`,
    )
  const phases = v.phases.split(',') as Phase[]
  const badPhase = phases.filter((p) => !PHASES.includes(p))
  if (badPhase.length > 0)
    throw new RangeError(`--phases ${badPhase.join(',')} unknown; use ${PHASES.join(',')}`)
  // By default Gatehouse and nginx (those of them that run); rows named explicitly must run.
  const wsRows = v['ws-rows']?.split(',') ?? DEFAULT_WS_ROWS.filter((k) => keys.includes(k))
  const notRun = wsRows.filter((k) => !keys.includes(k))
  if (notRun.length > 0)
    throw new RangeError(`--ws-rows ${notRun.join(',')} not among --only ${keys.join(',')}`)
  return {
    runs,
    load: {
      cpu: clientCpu,
      durationS: num(v.duration, 2, 10, 'duration'),
      h1Connections: num(v.connections, 50, 50, 'connections'),
      h2Connections: num(v['h2-connections'], 10, 10, 'h2-connections'),
      h2Streams: num(v['h2-streams'], 10, 10, 'h2-streams'),
    },
    // Also 3 s in --quick: after 1 s the Node rows are still cold (JIT), and cost up to 5x more per request.
    warmupS: num(v.warmup, 3, 3, 'warmup'),
    latency: {
      rate: num(v.rate, 1000, 1000, 'rate'),
      durationMs: num(v['latency-duration'], 2, 10, 'latency-duration') * 1000,
      warmupMs: 500,
    },
    ws: {
      count: num(v.ws, 200, 10_000, 'ws'),
      holdMs: num(v['ws-hold'], 1, 10, 'ws-hold') * 1000,
      rows: wsRows,
    },
    phases,
    contenders: PROXY_CONTENDERS.filter((c) => keys.includes(c.key)),
    dir: v.dir,
  }
}
