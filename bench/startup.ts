/**
 * Start-up with many certificates (issue 3 §8): the time from spawning a server until the first
 * correct TLS handshake for the LAST configured name, and the server's RSS at that moment, for
 * Gatehouse, Caddy and nginx with the same N ECDSA P-256 certificate files.
 *
 *   npm run bench -- startup [--names 10000] [--runs 3] [--only gatehouse,caddy,nginx]
 *   npm run bench -- startup --names 100000 --only gatehouse   (issue 3 §8: ready <= 3 s)
 *
 * Servers run pinned to core 0, the probe (this process) on core 1. Each server gets one untimed
 * warm-up start (Gatehouse creates its home and local CA then; every file is in the page cache for
 * everyone), then the servers take turns for `--runs` rounds; the figure is the median.
 */
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../src/testing/ports.js'
import { markdownTable, median } from './lib/stats.js'
import {
  benchName,
  certificateSet,
  reexecOnClientCore,
  rssMiB,
  startPeer,
  timeToReady,
  versionOf,
  type CertificateSet,
  type PeerKind,
} from './lib/tls-peers.js'

/** Fewer runs than this give no meaningful median. */
const MIN_RUNS = 3
const KINDS: readonly PeerKind[] = ['gatehouse', 'gatehouse-cache', 'caddy', 'nginx']
const LABELS: Record<string, string> = {
  gatehouse: 'Gatehouse `createServer({ certDir })`',
  'gatehouse-cache': 'Gatehouse `HttpsServer` + `CertificateCache` (names from file names)',
  caddy: 'Caddy (`load_files`)',
  nginx: 'nginx (one `server` block per name)',
}

interface Sample {
  readyMs: number
  rssMiB: number
}

async function measure(kind: PeerKind, certs: CertificateSet, work: string): Promise<Sample> {
  const port = await freePort()
  const peer = startPeer(kind, { certs, names: certs.count, port, work })
  try {
    const readyMs = await timeToReady(peer, port, benchName(certs.count - 1))
    return { readyMs, rssMiB: rssMiB(peer.pid) }
  } finally {
    await peer.stop()
  }
}

async function benchSize(n: number, runs: number, kinds: PeerKind[], root: string): Promise<void> {
  const generating = performance.now()
  const certs = await certificateSet(root, n)
  console.log(`# ${n} certificates in ${certs.dir} (${ms(performance.now() - generating)} ms)`)
  const samples = new Map<PeerKind, Sample[]>(kinds.map((k) => [k, []]))
  for (const kind of kinds) {
    const s = await measure(kind, certs, join(root, `work-${kind}-${n}`))
    console.log(`warm-up ${kind}: ${ms(s.readyMs)} ms, ${s.rssMiB.toFixed(0)} MiB`)
  }
  for (let run = 1; run <= runs; run++) {
    for (const kind of kinds) {
      const s = await measure(kind, certs, join(root, `work-${kind}-${n}`))
      samples.get(kind)?.push(s)
      console.log(`run ${run} ${kind}: ${ms(s.readyMs)} ms, ${s.rssMiB.toFixed(0)} MiB`)
    }
  }
  printTable(n, samples)
}

function printTable(n: number, samples: Map<PeerKind, Sample[]>): void {
  const caddy = samples.get('caddy')
  const caddyReady = caddy?.length ? median(caddy.map((s) => s.readyMs)) : undefined
  const caddyRss = caddy?.length ? median(caddy.map((s) => s.rssMiB)) : undefined
  const ratio = (x: number, base: number | undefined): string =>
    base === undefined ? '' : `${(x / base).toFixed(2)}×`
  const rows = [...samples].map(([kind, list]) => {
    const ready = median(list.map((s) => s.readyMs))
    const rss = median(list.map((s) => s.rssMiB))
    const all = list.map((s) => (s.readyMs / 1000).toFixed(2)).join(', ')
    return [
      LABELS[kind] ?? kind,
      n.toLocaleString('en'),
      `${(ready / 1000).toFixed(3)} s`,
      `${rss.toFixed(0)} MiB`,
      ratio(ready, caddyReady),
      ratio(rss, caddyRss),
      all,
    ]
  })
  const header = ['Server', 'Certificates', 'Ready (median)', 'RSS at ready', 'Ready vs Caddy']
  console.log(`\n${markdownTable([...header, 'RSS vs Caddy', 'Runs (s)'], rows)}\n`)
}

const ms = (x: number): string => x.toFixed(0)

async function main(): Promise<number> {
  const pinned = reexecOnClientCore()
  if (pinned !== undefined) return pinned
  const { values } = parseArgs({
    options: {
      names: { type: 'string', default: '10000' },
      runs: { type: 'string', default: String(MIN_RUNS) },
      only: { type: 'string', default: KINDS.join(',') },
      dir: { type: 'string', default: join(tmpdir(), 'gatehouse-bench-startup') },
    },
  })
  const runs = Number(values.runs)
  if (!Number.isInteger(runs) || runs < MIN_RUNS)
    throw new RangeError(`--runs ${values.runs} must be an integer >= ${MIN_RUNS}`)
  const kinds = values.only.split(',') as PeerKind[]
  for (const k of kinds) {
    if (!KINDS.includes(k)) throw new RangeError(`--only ${k} is unknown; use ${KINDS.join(',')}`)
  }
  const sizes = values.names.split(',').map(Number)
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`--names ${n} must be integers >= 1`)
  }
  console.log(`# ${new Date().toISOString()}, load average ${loadavg()[0]?.toFixed(1)}`)
  console.log(`# node ${process.version}; caddy ${versionOf('caddy', ['version'])}`)
  console.log(`# ${versionOf('nginx', ['-v'])}`)
  for (const n of sizes) await benchSize(n, runs, kinds, values.dir)
  console.log(`# done, load average ${loadavg()[0]?.toFixed(1)}`)
  return 0
}

process.exitCode = await main()
