/**
 * Server CPU per full TLS handshake (issue 3 §8): h2load opens new connections at a fixed rate,
 * one request each, against Gatehouse's `HttpsServer`, nginx, Caddy and plain Node `https`, all
 * serving the same ECDSA P-256 certificate; the server's user + system time is read from
 * /proc/<pid>/stat before and after each run.
 *
 *   npm run bench -- handshake [--connections 2000] [--rate 500] [--runs 3] [--only ...]
 *
 * Servers are pinned to core 0, h2load to core 1. h2load keeps no session cache, so every
 * connection is a full handshake (TLS 1.3 with ECDHE X25519 and an ECDSA signature); HTTP/1.1
 * (`--h1`) for all, since plain Node `https` speaks nothing else. The CPU counted includes
 * accepting the connection and answering one small request, for every server alike.
 */
import { spawnSync } from 'node:child_process'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../src/testing/ports.js'
import { markdownTable, median } from './lib/stats.js'
import {
  benchName,
  certificateSet,
  CLIENT_CPU,
  cpuMs,
  reexecOnClientCore,
  startPeer,
  timeToReady,
  versionOf,
  type Peer,
  type PeerKind,
} from './lib/tls-peers.js'

/** Fewer runs than this give no meaningful median. */
const MIN_RUNS = 3
/** Connections of the untimed warm-up run (JIT, allocator and page cache settle). */
const WARMUP_CONNECTIONS = 300
/** h2load's rate period, seconds: `--rate` connections per second become `rate / 10` per period. */
const RATE_PERIOD_S = 0.1

interface Contender {
  key: string
  label: string
  kind: PeerKind
  names: number
}

const CONTENDERS: readonly Contender[] = [
  { key: 'gatehouse', label: 'Gatehouse `HttpsServer`, 1 name', kind: 'gatehouse-cache', names: 1 },
  {
    key: 'gatehouse-10k',
    label: 'Gatehouse `HttpsServer`, 10,000 names',
    kind: 'gatehouse-cache',
    names: 10_000,
  },
  { key: 'node-https', label: 'Node `https.createServer`', kind: 'node-https', names: 1 },
  { key: 'nginx', label: 'nginx', kind: 'nginx', names: 1 },
  { key: 'caddy', label: 'Caddy', kind: 'caddy', names: 1 },
]

interface H2loadResult {
  succeeded: number
  protocol: string
  cipher: string
  tempKey: string
}

/** Runs h2load on {@link CLIENT_CPU}: `connections` new connections at `rate` per second. */
function h2load(port: number, connections: number, rate: number): H2loadResult {
  const perPeriod = Math.max(1, Math.round(rate * RATE_PERIOD_S))
  const args = [
    ...['-c', CLIENT_CPU, 'h2load', '--h1', '-n', String(connections), '-c', String(connections)],
    ...['-r', String(perPeriod), '--rate-period', `${RATE_PERIOD_S * 1000}ms`],
    ...['--connect-to', `127.0.0.1:${port}`, `https://${benchName(0)}:${port}/`],
  ]
  const res = spawnSync('taskset', args, { encoding: 'utf8' })
  const out = res.stdout
  const field = (re: RegExp): string => re.exec(out)?.[1]?.trim() ?? '?'
  const succeeded = Number(field(/requests: .*?(\d+) succeeded/))
  if (!(succeeded > 0)) throw new Error(`h2load failed: ${out}${res.stderr}`)
  return {
    succeeded,
    protocol: field(/TLS Protocol: (.+)/),
    cipher: field(/Cipher: (.+)/),
    tempKey: field(/Server Temp Key: (.+)/),
  }
}

interface Sample {
  usPerHandshake: number
  rate: H2loadResult
}

function timedRun(peer: Peer, port: number, connections: number, rate: number): Sample {
  const before = cpuMs(peer.pid)
  const result = h2load(port, connections, rate)
  const used = cpuMs(peer.pid) - before
  return { usPerHandshake: (used * 1000) / result.succeeded, rate: result }
}

function printTable(results: Map<Contender, Sample[]>): void {
  const nginx = [...results].find(([c]) => c.key === 'nginx')?.[1]
  const base = nginx ? median(nginx.map((s) => s.usPerHandshake)) : undefined
  const rows = [...results].map(([c, samples]) => {
    const us = median(samples.map((s) => s.usPerHandshake))
    const first = samples[0]?.rate
    return [
      c.label,
      `${us.toFixed(0)} µs`,
      base === undefined ? '' : `${(us / base).toFixed(2)}×`,
      samples.map((s) => s.usPerHandshake.toFixed(0)).join(', '),
      `${first?.protocol}, ${first?.cipher}, ${first?.tempKey}`,
    ]
  })
  const header = ['Server', 'CPU / handshake (median)', 'vs nginx', 'Runs (µs)', 'Negotiated']
  console.log(`\n${markdownTable(header, rows)}\n`)
}

async function main(): Promise<number> {
  const pinned = reexecOnClientCore()
  if (pinned !== undefined) return pinned
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '2000' },
      rate: { type: 'string', default: '500' },
      runs: { type: 'string', default: String(MIN_RUNS) },
      only: { type: 'string', default: CONTENDERS.map((c) => c.key).join(',') },
      dir: { type: 'string', default: join(tmpdir(), 'gatehouse-bench-startup') },
    },
  })
  const [connections, rate, runs] = [values.connections, values.rate, values.runs].map(Number)
  if (!Number.isInteger(runs) || (runs ?? 0) < MIN_RUNS)
    throw new RangeError(`--runs ${values.runs} must be an integer >= ${MIN_RUNS}`)
  if (!(connections! >= 100))
    throw new RangeError(`--connections ${values.connections} must be >= 100`)
  if (!(rate! > 0)) throw new RangeError(`--rate ${values.rate} must be > 0 connections per second`)
  const wanted = values.only.split(',')
  const contenders = CONTENDERS.filter((c) => wanted.includes(c.key))
  const unknown = wanted.filter((w) => !CONTENDERS.some((c) => c.key === w))
  if (unknown.length > 0)
    throw new RangeError(
      `--only ${unknown.join(',')} unknown; use ${CONTENDERS.map((c) => c.key).join(',')}`,
    )

  console.log(`# ${new Date().toISOString()}, load average ${loadavg()[0]?.toFixed(1)}`)
  console.log(`# node ${process.version}; ${versionOf('h2load', ['--version'])}`)
  const sizes = [...new Set(contenders.map((c) => c.names))]
  const sets = new Map(
    await Promise.all(sizes.map(async (n) => [n, await certificateSet(values.dir, n)] as const)),
  )
  const peers: { c: Contender; peer: Peer; port: number }[] = []
  try {
    for (const c of contenders) {
      const port = await freePort()
      const certs = sets.get(c.names)!
      const work = join(values.dir, `handshake-${c.key}`)
      const peer = startPeer(c.kind, { certs, names: c.names, port, work })
      peers.push({ c, peer, port })
      await timeToReady(peer, port, benchName(0))
      h2load(port, WARMUP_CONNECTIONS, rate!)
    }
    const results = new Map<Contender, Sample[]>(contenders.map((c) => [c, []]))
    for (let run = 1; run <= runs!; run++) {
      for (const { c, peer, port } of peers) {
        const s = timedRun(peer, port, connections!, rate!)
        results.get(c)?.push(s)
        console.log(
          `run ${run} ${c.key}: ${s.usPerHandshake.toFixed(0)} µs (${s.rate.succeeded} handshakes)`,
        )
      }
    }
    printTable(results)
  } finally {
    await Promise.all(peers.map(({ peer }) => peer.stop()))
  }
  console.log(`# done, load average ${loadavg()[0]?.toFixed(1)}`)
  return 0
}

process.exitCode = await main()
