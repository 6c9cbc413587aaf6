/**
 * Server CPU per full TLS handshake (issue 3 §8): h2load opens new connections at a fixed rate,
 * one request each, against Gatehouse's `HttpsServer`, nginx, Caddy and plain Node `https`, all
 * serving the same ECDSA P-256 certificate; the server's user + system time is read from
 * /proc/<pid>/stat before and after each run.
 *
 *   npm run bench -- handshake [--connections 2000] [--rate 500] [--runs 3] [--only ...]
 *
 * The rate per CPU second (1 / CPU per handshake) of a server with many names is compared with the
 * same server with one name (issue 3 §8: >= 0.95x at 100k names): `gatehouse-folder-100k` is the
 * product path, `createServer({ certDir })` over 100,000 pairs, every handshake for one of them.
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
  /** The same server with one name: issue 3 §8 wants >= 0.95x its handshake rate at 100k names. */
  baseline?: string
}

const CONTENDERS: readonly Contender[] = [
  { key: 'gatehouse', label: 'Gatehouse `HttpsServer`, 1 name', kind: 'gatehouse-cache', names: 1 },
  {
    key: 'gatehouse-10k',
    label: 'Gatehouse `HttpsServer`, 10,000 names',
    kind: 'gatehouse-cache',
    names: 10_000,
    baseline: 'gatehouse',
  },
  {
    key: 'gatehouse-folder',
    label: 'Gatehouse `createServer({ certDir })`, 1 file pair',
    kind: 'gatehouse',
    names: 1,
  },
  {
    key: 'gatehouse-folder-100k',
    label: 'Gatehouse `createServer({ certDir })`, 100,000 file pairs',
    kind: 'gatehouse',
    names: 100_000,
    baseline: 'gatehouse-folder',
  },
  { key: 'node-https', label: 'Node `https.createServer`', kind: 'node-https', names: 1 },
  // Node's floor: its TLS layer alone, no HTTP (what any Node server pays before its own code).
  {
    key: 'node-tls',
    label: 'Node `tls.createServer`, fixed answer, no HTTP',
    kind: 'node-tls',
    names: 1,
  },
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
  const medianUs = (key: string | undefined): number | undefined => {
    const samples = [...results].find(([c]) => c.key === key)?.[1]
    return samples?.length ? median(samples.map((s) => s.usPerHandshake)) : undefined
  }
  const rows = [...results].map(([c, samples]) => {
    const us = median(samples.map((s) => s.usPerHandshake))
    const first = samples[0]?.rate
    const one = medianUs(c.baseline)
    return [
      c.label,
      `${us.toFixed(0)} µs`,
      base === undefined ? '' : `${(us / base).toFixed(2)}×`,
      // Handshakes one core can do per second of CPU: the rate when the server is CPU-bound.
      `${(1e6 / us).toFixed(0)} /s`,
      one === undefined ? '' : `${(one / us).toFixed(2)}×`,
      samples.map((s) => s.usPerHandshake.toFixed(0)).join(', '),
      `${first?.protocol}, ${first?.cipher}, ${first?.tempKey}`,
    ]
  })
  const header = ['Server', 'CPU / handshake (median)', 'vs nginx', 'Rate per CPU second']
  header.push('Rate vs 1 name', 'Runs (µs)', 'Negotiated')
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
