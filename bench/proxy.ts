/**
 * Reverse-proxy throughput, CPU per request, added latency and idle-WebSocket memory (issue 4 §6):
 * Gatehouse, nginx, HAProxy, Caddy, a bare undici proxy, http-proxy, http-proxy-3 and fastify +
 * @fastify/http-proxy side by side in one run, each terminating TLS 1.3 with the same ECDSA P-256
 * certificate and proxying HTTP/1.1 keep-alive to one nginx origin.
 *
 *   npm run bench -- proxy [--quick] [--runs 3] [--duration 10] [--only ...] [--phases ...]
 *
 * Every proxy runs pinned to core 0; the bench, wrk / h2load, the origin and the WebSocket upstream
 * to core 1. A proxy's CPU is read from /proc (user + system of its process tree) before and after
 * each run. Rows take turns within each round so load changes on the machine weigh on all alike.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { OpenLoopResult } from './lib/open-loop.js'
import { PROXY_CONTENDERS, type ProxyContender } from './lib/proxy-contenders.js'
import {
  h1Run,
  h2Run,
  latencyRun,
  webSocketRun,
  type LatencyShape,
  type LoadShape,
  type ThroughputSample,
  type WebSocketSample,
} from './lib/proxy-phases.js'
import {
  latencyTable,
  throughputTable,
  webSocketTable,
  type RowSamples,
} from './lib/proxy-report.js'
import {
  benchCertificate,
  maxTunnels,
  openFileLimits,
  startProxy,
  startUpstreams,
  type Started,
} from './lib/proxy-setup.js'
import { CLIENT_CPU, reexecOnClientCore, SERVER_CPU, versionOf } from './lib/tls-peers.js'

const PHASES = ['h1', 'h2', 'latency', 'ws'] as const
type Phase = (typeof PHASES)[number]
/** Fewer runs than this give no meaningful median (only `--quick` smoke runs go below). */
const MIN_RUNS = 3

interface Settings {
  runs: number
  load: LoadShape
  warmupS: number
  latency: LatencyShape
  ws: { count: number; holdMs: number; rows: string[] }
  phases: Phase[]
  contenders: ProxyContender[]
  dir: string
}

function settings(): Settings {
  const { values: v } = parseArgs({
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
      'ws-rows': { type: 'string', default: 'gatehouse,nginx' },
      only: { type: 'string', default: PROXY_CONTENDERS.map((c) => c.key).join(',') },
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
  return {
    runs,
    load: {
      cpu: CLIENT_CPU,
      durationS: num(v.duration, 2, 10, 'duration'),
      h1Connections: num(v.connections, 50, 50, 'connections'),
      h2Connections: num(v['h2-connections'], 10, 10, 'h2-connections'),
      h2Streams: num(v['h2-streams'], 10, 10, 'h2-streams'),
    },
    warmupS: num(v.warmup, 1, 3, 'warmup'),
    latency: {
      rate: num(v.rate, 1000, 1000, 'rate'),
      durationMs: num(v['latency-duration'], 2, 10, 'latency-duration') * 1000,
      warmupMs: 500,
    },
    ws: {
      count: num(v.ws, 200, 10_000, 'ws'),
      holdMs: num(v['ws-hold'], 1, 10, 'ws-hold') * 1000,
      rows: v['ws-rows'].split(','),
    },
    phases,
    contenders: PROXY_CONTENDERS.filter((c) => keys.includes(c.key)),
    dir: v.dir,
  }
}

type Running = Extract<Started, { ok: true }> & { c: ProxyContender }

/** Each round runs `measure` once per row, rows in turn; returns the samples per row. */
async function rounds<S>(
  rows: readonly Running[],
  runs: number,
  name: string,
  measure: (r: Running) => S | Promise<S>,
  show: (s: S) => string,
): Promise<RowSamples<S>[]> {
  const out = rows.map((r) => ({ key: r.c.key, label: r.c.label, samples: [] as S[] }))
  for (let run = 1; run <= runs; run++) {
    for (const [i, r] of rows.entries()) {
      const s = await measure(r)
      out[i]?.samples.push(s)
      console.log(`${name} run ${run} ${r.c.key}: ${show(s)}`)
    }
  }
  return out
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return 'unknown (not a git checkout)'
  }
}

const showThroughput = (s: ThroughputSample): string =>
  `${s.perSecond.toFixed(0)} req/s, ${s.usPerRequest.toFixed(1)} µs/req, ${s.failed} failed`

async function main(): Promise<number> {
  const pinned = reexecOnClientCore()
  if (pinned !== undefined) return pinned
  const s = settings()
  const tunnels = Math.min(s.ws.count, maxTunnels())
  const commit = gitCommit()
  console.log(
    `# ${new Date().toISOString()}, commit ${commit}, load average ${loadavg()[0]?.toFixed(1)}`,
  )
  console.log(
    `# node ${process.version}; ${versionOf('nginx', ['-v'])}; ${versionOf('haproxy', ['-v'])}`,
  )
  console.log(
    `# caddy ${versionOf('caddy', ['version'])}; ${versionOf('wrk', ['-v'])}; ${versionOf('h2load', ['--version'])}`,
  )
  console.log(
    `# proxies on core ${SERVER_CPU}; bench, load generators, origin, ws upstream on core ${CLIENT_CPU}`,
  )
  if (tunnels < s.ws.count) {
    const { soft, hard } = openFileLimits()
    console.log(
      `# WebSockets: ${tunnels}, not ${s.ws.count}: open files limited to ${soft} (hard ${hard}); ` +
        'a proxy holds 2 per tunnel: raise `ulimit -Hn` (as root) for more',
    )
  }
  mkdirSync(s.dir, { recursive: true })
  const cert = benchCertificate(s.dir)
  const upstreams = await startUpstreams(s.dir, CLIENT_CPU, tunnels)
  const input = {
    cert,
    originPort: upstreams.originPort,
    wsPort: upstreams.wsPort,
    maxConnections: tunnels,
  }
  const running: Running[] = []
  const unavailable = new Map<ProxyContender, string>()
  const missing = (phase: 'h1' | 'h2'): Map<string, string> =>
    new Map([...unavailable].filter(([c]) => c[phase]).map(([c, why]) => [c.label, why]))
  const report: Record<string, unknown> = { date: new Date().toISOString(), commit, settings: s }
  try {
    for (const c of s.contenders) {
      const started = await startProxy(c, input, s.dir, SERVER_CPU)
      if (started.ok) running.push({ ...started, c })
      else unavailable.set(c, started.reason)
      console.log(
        `${c.key}: ${started.ok ? `ready on ${started.port} (${started.tls})` : `not available: ${started.reason}`}`,
      )
    }
    report.tls = Object.fromEntries(running.map((r) => [r.c.key, r.tls]))
    report.unavailable = Object.fromEntries([...unavailable].map(([c, why]) => [c.key, why]))
    const h1Rows = running.filter((r) => r.c.h1)
    const h2Rows = running.filter((r) => r.c.h2)
    const warm = { ...s.load, durationS: s.warmupS }
    if (s.phases.includes('h1')) {
      for (const r of h1Rows) h1Run(r.process.pid, r.port, warm)
      const rows = await rounds(
        h1Rows,
        s.runs,
        'h1',
        (r) => h1Run(r.process.pid, r.port, s.load),
        showThroughput,
      )
      report.h1 = rows
      console.log(
        `\n## HTTP/1.1 keep-alive (wrk -t1 -c${s.load.h1Connections} -d${s.load.durationS}s)\n\n${throughputTable(rows, missing('h1'))}\n`,
      )
    }
    if (s.phases.includes('h2')) {
      for (const r of h2Rows) h2Run(r.process.pid, r.port, warm)
      const rows = await rounds(
        h2Rows,
        s.runs,
        'h2',
        (r) => h2Run(r.process.pid, r.port, s.load),
        showThroughput,
      )
      report.h2 = rows
      const negotiated = rows.map((r) => `${r.key}: ${r.samples[0]?.negotiated}`).join('; ')
      console.log(
        `\n## HTTP/2 clients (h2load -c${s.load.h2Connections} -m${s.load.h2Streams} -D ${s.load.durationS})\n\n${throughputTable(rows, missing('h2'))}\n\n${negotiated}\n`,
      )
    }
    if (s.phases.includes('latency')) await latencyPhase(s, upstreams.originPort, h1Rows, report)
    if (s.phases.includes('ws')) {
      const wsRows = running.filter((r) => r.c.ws && s.ws.rows.includes(r.c.key))
      await webSocketPhase(s, tunnels, wsRows, input, report)
    }
  } finally {
    await Promise.all(running.map((r) => r.process.stop()))
    await upstreams.stop()
  }
  mkdirSync('.bench-out', { recursive: true })
  writeFileSync(join('.bench-out', 'proxy.json'), JSON.stringify(report, null, 2))
  console.log(
    `# done, load average ${loadavg()[0]?.toFixed(1)}; raw figures in .bench-out/proxy.json`,
  )
  return 0
}

async function latencyPhase(
  s: Settings,
  originPort: number,
  rows: Running[],
  report: Record<string, unknown>,
): Promise<void> {
  const show = (l: OpenLoopResult): string =>
    `p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, ${l.rate.toFixed(0)} req/s, ${l.errors} errors`
  const direct: OpenLoopResult[] = []
  const results = rows.map((r) => ({
    key: r.c.key,
    label: r.c.label,
    samples: [] as OpenLoopResult[],
  }))
  for (let run = 1; run <= s.runs; run++) {
    const d = await latencyRun(`http://127.0.0.1:${originPort}/`, s.latency)
    direct.push(d)
    console.log(`latency run ${run} origin: ${show(d)}`)
    for (const [i, r] of rows.entries()) {
      const l = await latencyRun(`https://localhost:${r.port}/`, s.latency)
      results[i]?.samples.push(l)
      console.log(`latency run ${run} ${r.c.key}: ${show(l)}`)
    }
  }
  report.latency = { direct, rows: results }
  const secs = s.latency.durationMs / 1000
  console.log(
    `\n## Latency at ${s.latency.rate} req/s, open loop (Node generator, ${secs} s, 32 keep-alive connections)\n\n${latencyTable(direct, results)}\n`,
  )
}

/**
 * Each WebSocket run gets a freshly started proxy, so the memory a previous run freed (and a Node
 * heap keeps) does not hide the growth of the next.
 */
async function webSocketPhase(
  s: Settings,
  count: number,
  rows: Running[],
  input: Parameters<typeof startProxy>[1],
  report: Record<string, unknown>,
): Promise<void> {
  const results: RowSamples<WebSocketSample>[] = []
  for (const r of rows) {
    const samples: WebSocketSample[] = []
    for (let run = 1; run <= s.runs; run++) {
      const fresh = await startProxy(r.c, input, join(s.dir, 'ws'), SERVER_CPU)
      if (!fresh.ok)
        throw new Error(`${r.c.key} did not restart for the WebSocket run: ${fresh.reason}`)
      try {
        const w = await webSocketRun(fresh.process.pid, fresh.port, { count, holdMs: s.ws.holdMs })
        samples.push(w)
        console.log(
          `ws run ${run} ${r.c.key}: ${w.open}/${w.requested} open, ${w.kibPerConnection.toFixed(1)} KiB each, ${w.echoed} echoed`,
        )
      } finally {
        await fresh.process.stop()
      }
    }
    results.push({ key: r.c.key, label: r.c.label, samples })
  }
  report.ws = results
  console.log(
    `\n## ${count} idle WebSockets held for ${s.ws.holdMs / 1000} s\n\n${webSocketTable(results)}\n`,
  )
}

process.exitCode = await main()
