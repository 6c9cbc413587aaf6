/**
 * Proxy CPU per request on the hot path (issue 4 §6): keep-alive HTTPS requests through Gatehouse's
 * gateway (routing, header rewriting, access log on), against, in the same run, a bare undici
 * `Pool.stream` proxy on `https.createServer` and plain Node `https` answering itself (the floor).
 *
 *   npm run bench -- proxy-hotpath [--requests 20000] [--connections 10] [--runs 3] [--h2-streams 10]
 *     [--only LABEL-PART] [--sink writer|stream]
 *
 * `--sink stream` logs with a write per line on an fs.WriteStream instead of the batched
 * AccessLogWriter.
 *
 * Each server is its own process pinned to core 0; h2load and the upstream share core 1. The figure
 * is the server process's user + system time (/proc/<pid>/stat) over a run, divided by the
 * requests: it does not depend on how busy the machine's other core is, only on the work done.
 * Every server gets an untimed warm-up run first (JIT, pools, TLS sessions settle).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../src/testing/ports.js'
import { markdownTable, median } from './lib/stats.js'
import { benchName, certificateSet, CLIENT_CPU, cpuMs, SERVER_CPU } from './lib/tls-peers.js'

interface Row {
  label: string
  kind: 'node-https' | 'undici' | 'gatehouse'
  h2: boolean
}

const ROWS: readonly Row[] = [
  { label: 'plain Node `https`, answers itself (floor)', kind: 'node-https', h2: false },
  { label: 'undici `Pool.stream` proxy on `https.createServer`', kind: 'undici', h2: false },
  { label: 'Gatehouse gateway, HTTP/1.1', kind: 'gatehouse', h2: false },
  { label: 'Gatehouse gateway, HTTP/2', kind: 'gatehouse', h2: true },
]

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    'h2-streams': { type: 'string', default: '10' },
    only: { type: 'string' },
    sink: { type: 'string', default: 'writer' },
  },
})
const requests = Number(values.requests)
const connections = Number(values.connections)
const runs = Number(values.runs)
const streams = Number(values['h2-streams'])

const SERVER_SCRIPT = join(import.meta.dirname, 'lib', 'hotpath-server.js')

/** Starts a server process pinned to `cpu`; resolves once it printed `ready`. */
async function startServer(cpu: string, args: string[]): Promise<ChildProcess> {
  const child = spawn('taskset', ['-c', cpu, process.execPath, SERVER_SCRIPT, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)))
  })
  return child
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** One h2load run; returns the requests that succeeded and the p99-ish max request time. */
function load(port: number, n: number, h2: boolean): { ok: number; rps: number } {
  const res = spawnSync(
    'taskset',
    [
      ...['-c', CLIENT_CPU, 'h2load', ...(h2 ? ['-m', String(streams)] : ['--h1'])],
      ...['-n', String(n), '-c', String(connections)],
      ...['--connect-to', `127.0.0.1:${port}`, `https://${benchName(0)}:${port}/`],
    ],
    { encoding: 'utf8', timeout: 300_000 },
  )
  const ok = Number(/(\d+) succeeded/.exec(res.stdout)?.[1] ?? 0)
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(res.stdout)?.[1] ?? 0)
  const status2xx = Number(/status codes: (\d+) 2xx/.exec(res.stdout)?.[1] ?? 0)
  if (ok !== n || status2xx !== n) throw new Error(`h2load: ${res.stdout}${res.stderr}`)
  return { ok, rps }
}

async function measure(row: Row, upstreamPort: number, certBase: string, work: string) {
  const port = await freePort()
  const log = join(work, `${row.kind}-access.log`)
  const child = await startServer(SERVER_CPU, [
    row.kind,
    String(port),
    String(upstreamPort),
    certBase,
    log,
    values.sink,
  ])
  const pid = child.pid ?? 0
  try {
    load(port, Math.min(requests, 5000), row.h2)
    const usPerRequest: number[] = []
    const rps: number[] = []
    for (let i = 0; i < runs; i++) {
      const before = cpuMs(pid)
      rps.push(load(port, requests, row.h2).rps)
      usPerRequest.push(((cpuMs(pid) - before) * 1000) / requests)
    }
    return { us: median(usPerRequest), all: usPerRequest, rps: median(rps) }
  } finally {
    await stop(child)
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'gatehouse-hotpath-'))
  const certs = await certificateSet(join(tmpdir(), 'gatehouse-bench-certs'), 1)
  const certBase = join(certs.dir, benchName(0))
  const upstreamPort = await freePort()
  const upstream = await startServer(CLIENT_CPU, ['upstream', String(upstreamPort)])
  const table: string[][] = []
  try {
    for (const row of ROWS) {
      if (values.only !== undefined && !row.label.includes(values.only)) continue
      const r = await measure(row, upstreamPort, certBase, work)
      const runsText = r.all.map((v) => v.toFixed(0)).join(', ')
      table.push([row.label, r.us.toFixed(1), runsText, r.rps.toFixed(0)])
      console.error(`${row.label}: ${r.us.toFixed(1)} us/request (${runsText})`)
    }
  } finally {
    await stop(upstream)
    rmSync(work, { recursive: true, force: true })
  }
  console.log(
    `# node ${process.version}; ${requests} requests x ${runs} runs, ${connections} connections`,
  )
  console.log(markdownTable(['Server', 'CPU us/request (median)', 'runs', 'req/s (median)'], table))
}

await main()
