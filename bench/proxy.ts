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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import type { OpenLoopResult } from './lib/open-loop.js'
import type { ProxyContender } from './lib/proxy-contenders.js'
import {
  h1Run,
  h2Run,
  latencyRun,
  webSocketRun,
  type ThroughputSample,
  type WebSocketSample,
} from './lib/proxy-phases.js'
import {
  latencyTable,
  type LatencySample,
  throughputTable,
  webSocketTable,
  type RowSamples,
} from './lib/proxy-report.js'
import { proxySettings, type Settings } from './lib/proxy-settings.js'
import {
  benchCertificate,
  maxTunnels,
  raiseOpenFileLimit,
  openFileLimits,
  startProxy,
  startUpstreams,
  type Started,
} from './lib/proxy-setup.js'
import { CLIENT_CPU, reexecOnClientCore, SERVER_CPU, versionOf } from './lib/tls-peers.js'

type Report = Record<string, unknown>
type ProxyInput = Parameters<typeof startProxy>[1]

type Running = Extract<Started, { ok: true }> & { c: ProxyContender }

/**
 * Each round runs `measure` once per row, rows in turn; returns the samples per row. A run that fails
 * (the load generator found no server, or no request completed) is logged and left out; a row with
 * no sample at all goes to `failed` with its first error.
 */
async function rounds<S>(
  rows: readonly Running[],
  runs: number,
  name: string,
  measure: (r: Running) => S | Promise<S>,
  show: (s: S) => string,
): Promise<{ rows: RowSamples<S>[]; failed: Map<string, string> }> {
  const out = rows.map((r) => ({
    key: r.c.key,
    label: r.c.label,
    samples: [] as S[],
    rounds: [] as number[],
  }))
  const errors = new Map<string, string>()
  for (let run = 1; run <= runs; run++) {
    for (const [i, r] of rows.entries()) {
      try {
        const s = await measure(r)
        out[i]?.samples.push(s)
        out[i]?.rounds.push(run)
        console.log(`${name} run ${run} ${r.c.key}: ${show(s)}`)
      } catch (err) {
        const message = (err as Error).message.split('\n')[0] ?? ''
        if (!errors.has(r.c.label)) errors.set(r.c.label, message)
        console.log(`${name} run ${run} ${r.c.key}: failed: ${message}`)
      }
    }
  }
  const failed = new Map(
    out
      .filter((r) => r.samples.length === 0)
      .map((r) => [r.label, `every run failed: ${errors.get(r.label)}`]),
  )
  return { rows: out.filter((r) => r.samples.length > 0), failed }
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

function printHeader(s: Settings, tunnels: number, commit: string): void {
  const load = loadavg()[0]?.toFixed(1)
  const lines = [
    `${new Date().toISOString()}, commit ${commit}, load average ${load}`,
    `node ${process.version}; ${versionOf('nginx', ['-v'])}; ${versionOf('haproxy', ['-v'])}`,
    `caddy ${versionOf('caddy', ['version'])}; ${versionOf('wrk', ['-v'])}; ${versionOf('h2load', ['--version'])}`,
    `proxies on core ${SERVER_CPU}; bench, load generators, origin, ws upstream on core ${CLIENT_CPU}`,
  ]
  if (tunnels < s.ws.count) {
    const { soft, hard } = openFileLimits()
    lines.push(
      `WebSockets: ${tunnels}, not ${s.ws.count}: open files limited to ${soft} (hard ${hard}); ` +
        'a proxy process holds 2 per tunnel: raise `ulimit -Hn` (as root), or measure a row with ' +
        'workers (gatehouse-2w, nginx-2w)',
    )
  }
  for (const line of lines) console.log(`# ${line}`)
}

/** Starts every contender in turn; the ones that do not proxy correctly are listed with why. */
async function startContenders(
  s: Settings,
  input: ProxyInput,
): Promise<{ running: Running[]; unavailable: Map<ProxyContender, string> }> {
  const running: Running[] = []
  const unavailable = new Map<ProxyContender, string>()
  for (const c of s.contenders) {
    const started = await startProxy(c, input, s.dir, SERVER_CPU)
    if (started.ok) running.push({ ...started, c })
    else unavailable.set(c, started.reason)
    const state = started.ok
      ? `ready on ${started.port} (${started.tls})`
      : `not available: ${started.reason}`
    console.log(`${c.key}: ${state}`)
  }
  return { running, unavailable }
}

/** HTTP/1.1 (wrk) or HTTP/2 (h2load) closed-loop throughput: one untimed warm-up, then rounds. */
async function throughputPhase(
  phase: 'h1' | 'h2',
  s: Settings,
  running: Running[],
  unavailable: Map<ProxyContender, string>,
  report: Report,
): Promise<void> {
  const measure = phase === 'h1' ? h1Run : h2Run
  const rows = running.filter((r) => r.c[phase])
  for (const r of rows) measure(r.process.pid, r.port, { ...s.load, durationS: s.warmupS })
  const show = (t: ThroughputSample): string =>
    `${t.perSecond.toFixed(0)} req/s, ${t.usPerRequest.toFixed(1)} µs/req, ${t.failed} failed`
  const { rows: samples, failed } = await rounds(
    rows,
    s.runs,
    phase,
    (r) => measure(r.process.pid, r.port, s.load),
    show,
  )
  report[phase] = { rows: samples, failed: Object.fromEntries(failed) }
  const missing = new Map([
    ...failed,
    ...[...unavailable].filter(([c]) => c[phase]).map(([c, why]) => [c.label, why] as const),
  ])
  const { h1Connections, h2Connections, h2Streams, durationS } = s.load
  const title =
    phase === 'h1'
      ? `HTTP/1.1 keep-alive (wrk -t1 -c${h1Connections} -d${durationS}s)`
      : `HTTP/2 clients (h2load -c${h2Connections} -m${h2Streams} -D ${durationS})`
  console.log(`\n## ${title}\n\n${throughputTable(samples, missing)}\n`)
  if (phase === 'h2')
    console.log(samples.map((r) => `${r.key}: ${r.samples[0]?.negotiated}`).join('; '))
}

async function main(): Promise<number> {
  const pinned = reexecOnClientCore()
  if (pinned !== undefined) return pinned
  const s = proxySettings(process.argv.slice(2), CLIENT_CPU)
  const wsRows = s.contenders.filter((c) => c.ws && s.ws.rows.includes(c.key))
  if (s.phases.includes('ws') && wsRows.length > 0) raiseOpenFileLimit(s.ws.count)
  const tunnels = Math.min(s.ws.count, Math.max(1, ...wsRows.map((c) => maxTunnels(c.processes))))
  const commit = gitCommit()
  printHeader(s, tunnels, commit)
  mkdirSync(s.dir, { recursive: true })
  const cert = benchCertificate(s.dir)
  const upstreams = await startUpstreams(s.dir, CLIENT_CPU, tunnels)
  const { originPort, wsPort } = upstreams
  const input: ProxyInput = { cert, originPort, wsPort, maxConnections: tunnels }
  const report: Report = { date: new Date().toISOString(), commit, settings: s }
  let running: Running[] = []
  try {
    const started = await startContenders(s, input)
    running = started.running
    report.tls = Object.fromEntries(running.map((r) => [r.c.key, r.tls]))
    report.unavailable = Object.fromEntries(
      [...started.unavailable].map(([c, why]) => [c.key, why]),
    )
    for (const phase of ['h1', 'h2'] as const)
      if (s.phases.includes(phase))
        await throughputPhase(phase, s, running, started.unavailable, report)
    if (s.phases.includes('latency'))
      await latencyPhase(
        s,
        originPort,
        running.filter((r) => r.c.h1),
        report,
      )
    if (s.phases.includes('ws'))
      await webSocketPhase(
        s,
        tunnels,
        running.filter((r) => r.c.ws && s.ws.rows.includes(r.c.key)),
        input,
        report,
      )
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

/** Length of the untimed warm-up run of each target in the latency phase, ms. */
const LATENCY_WARMUP_MS = 5_000

/**
 * Steal ticks below which a latency run counts as quiet: 1% of one CPU over the run (USER_HZ 100).
 * In the runs that set this (10 s each), every run with under 15 ticks had a p99 of 0.5 to 1.1 ms,
 * whichever the server, and every run with over 100 ticks 5 to 12 ms.
 */
function quietSteal(durationMs: number): number {
  return durationMs / 1000
}

/** Steal time of all CPUs so far (/proc/stat, USER_HZ ticks). */
function stealTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  return Number(cpu.trim().split(/\s+/)[8] ?? 0)
}

async function latencyPhase(
  s: Settings,
  originPort: number,
  rows: Running[],
  report: Report,
): Promise<void> {
  const show = (l: OpenLoopResult): string =>
    `p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, ${l.rate.toFixed(0)} req/s, ${l.errors} errors`
  const direct: LatencySample[] = []
  const results = rows.map((r) => ({
    key: r.c.key,
    label: r.c.label,
    samples: [] as LatencySample[],
  }))
  // One untimed run per target first: a Node proxy's first seconds at this rate run code V8 has
  // not optimised yet (p99 7 to 9 ms in the first run, 0.6 to 1.6 ms in the next five, measured).
  const warmup = { ...s.latency, durationMs: LATENCY_WARMUP_MS, warmupMs: 0 }
  await latencyRun(`http://127.0.0.1:${originPort}/`, warmup)
  for (const r of rows) await latencyRun(`https://localhost:${r.port}/`, warmup)
  for (let run = 1; run <= s.runs; run++) {
    const steal0 = stealTicks()
    const d = await latencyRun(`http://127.0.0.1:${originPort}/`, s.latency)
    direct.push({ ...d, stealTicks: stealTicks() - steal0 })
    console.log(`latency run ${run} origin: ${show(d)}, steal ${stealTicks() - steal0} ticks`)
    for (const [i, r] of rows.entries()) {
      const before = stealTicks()
      const l = await latencyRun(`https://localhost:${r.port}/`, s.latency)
      // Time the hypervisor gave this VM's vCPUs to others during the run: stalls no server causes.
      const steal = stealTicks() - before
      results[i]?.samples.push({ ...l, stealTicks: steal })
      console.log(`latency run ${run} ${r.c.key}: ${show(l)}, steal ${steal} ticks`)
    }
  }
  report.latency = { direct, rows: results }
  const secs = s.latency.durationMs / 1000
  console.log(
    `\n## Latency at ${s.latency.rate} req/s, open loop (Node generator, ${secs} s, 32 keep-alive connections)\n\n${latencyTable(direct, results, quietSteal(s.latency.durationMs))}\n`,
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
  input: ProxyInput,
  report: Report,
): Promise<void> {
  const results: RowSamples<WebSocketSample>[] = []
  for (const r of rows) {
    const samples: WebSocketSample[] = []
    for (let run = 1; run <= s.runs; run++) {
      try {
        // A one-process proxy cannot hold what two can: each row opens what its processes allow.
        const rowCount = Math.min(count, maxTunnels(r.c.processes))
        samples.push(await freshWebSocketRun(r.c, input, s, rowCount))
        const w = samples[samples.length - 1] as WebSocketSample
        const each = w.kibPerConnection.toFixed(1)
        console.log(
          `ws run ${run} ${r.c.key}: ${w.open}/${w.requested} open, ${each} KiB each, ${w.echoed} echoed`,
        )
      } catch (err) {
        console.log(`ws run ${run} ${r.c.key}: failed: ${(err as Error).message}`)
      }
    }
    if (samples.length > 0) results.push({ key: r.c.key, label: r.c.label, samples })
  }
  report.ws = results
  console.log(
    `\n## ${count} idle WebSockets held for ${s.ws.holdMs / 1000} s\n\n${webSocketTable(results)}\n`,
  )
}

async function freshWebSocketRun(
  c: ProxyContender,
  input: ProxyInput,
  s: Settings,
  count: number,
): Promise<WebSocketSample> {
  const fresh = await startProxy(c, input, join(s.dir, 'ws'), SERVER_CPU)
  if (!fresh.ok) throw new Error(`did not restart for the WebSocket run: ${fresh.reason}`)
  try {
    return await webSocketRun(fresh.process.pid, fresh.port, { count, holdMs: s.ws.holdMs })
  } finally {
    await fresh.process.stop()
  }
}

process.exitCode = await main()
