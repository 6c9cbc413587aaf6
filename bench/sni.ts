/**
 * SNI lookup benchmark: the time one `SNICallback` spends finding the certificate for a name, with
 * Gatehouse's `CertificateCache` (two Map reads) at 1, 10k and 100k names, next to an emulation of
 * Node's `server.addContext` index (one regex per name, scanned newest first) at 10k names.
 *
 *   npm run bench -- sni [--runs 3]
 *
 * Issue 3 §8 asks for <= 1 us per lookup at 100k names. Each row is timed over a fixed number of
 * lookups of names drawn pseudo-randomly from the population (so the CPU cache sees a realistic
 * spread, not one hot key); the figure is the median per-call CPU time over the runs. Pure CPU, one
 * thread: a high load average (printed) means other work shared the core and its caches, so the
 * run is noisy even in CPU time.
 */
import { createSecureContext } from 'node:tls'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { CertificateSources } from '../src/server/certificate-sources.js'
import { CertificateCache } from '../src/tls/certificate-cache.js'
import { markdownTable, median } from './lib/stats.js'

/** Fewer runs than this give no meaningful median. */
const MIN_RUNS = 3
/** Distinct query names per row, cycled through; a power of two so the index is a mask. */
const QUERY_COUNT = 4096
const NOT_AFTER = new Date('2030-01-01T00:00:00Z')

interface Row {
  label: string
  names: number
  /** Lookups timed per run: enough for ~100 ms or more on this machine. */
  iterations: number
  /** Returns the function under test and the names to query; every query must find a match. */
  setup: () => { find: (name: string) => string | undefined; queries: string[] }
}

const host = (i: number): string => `host${i}.example.com`

/** A fixed pseudo-random sequence (LCG), so every run and every row query the same names. */
function pick(population: number, make: (i: number) => string): string[] {
  let x = 12345
  return Array.from({ length: QUERY_COUNT }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return make(x % population)
  })
}

const built = new Map<number, CertificateCache>()

/** `n` certificates, each for `host<i>.example.com` and `*.w<i>.example.net`; built once per size. */
function cacheWith(n: number): CertificateCache {
  const existing = built.get(n)
  if (existing !== undefined) return existing
  const cache = new CertificateCache({ createContext: () => createSecureContext() })
  for (let i = 0; i < n; i++) {
    cache.set({
      id: `c${i}`,
      names: [host(i), `*.w${i}.example.net`],
      notAfter: NOT_AFTER,
      certificatePem: 'shared',
      privateKeyPem: 'shared',
      source: 'folder',
    })
  }
  built.set(n, cache)
  return cache
}

/**
 * What `tls.Server#addContext` builds (see Node's lib/_tls_wrap.js): per name an anchored RegExp,
 * dots and other metacharacters escaped and `*` turned into "one label", appended to an array that
 * the default SNICallback scans from the newest end and stops at the first match.
 */
function regexIndex(n: number): (name: string) => string | undefined {
  const contexts: [RegExp, string][] = []
  for (let i = 0; i < n; i++) {
    const source = host(i)
      .replace(/[.^$+?\-\\[\]{}()|]/g, '\\$&')
      .replaceAll('*', '[^.]*')
    contexts.push([new RegExp(`^${source}$`), `c${i}`])
  }
  return (name) => {
    for (let i = contexts.length - 1; i >= 0; i--) {
      const entry = contexts[i] as [RegExp, string]
      if (entry[0].test(name)) return entry[1]
    }
    return undefined
  }
}

const ROWS: Row[] = [
  ...[1, 10_000, 100_000].map((n): Row => ({
    label: 'CertificateCache.lookup, exact name',
    names: n,
    iterations: 2_000_000,
    setup: () => {
      const cache = cacheWith(n)
      return { find: (name) => cache.lookup(name)?.id, queries: pick(n, host) }
    },
  })),
  {
    // A handshake hands the callback a new string each time, whose hash V8 has not computed yet;
    // the other rows reuse query strings and so measure with the hash cached. Includes one slice.
    label: 'CertificateCache.lookup, exact name, fresh string per call',
    names: 100_000,
    iterations: 2_000_000,
    setup: () => {
      const cache = cacheWith(100_000)
      return {
        find: (name) => cache.lookup(name.slice(1))?.id,
        queries: pick(100_000, (i) => ` ${host(i)}`),
      }
    },
  },
  {
    label: 'CertificateCache.lookup, wildcard (exact miss first)',
    names: 100_000,
    iterations: 2_000_000,
    setup: () => {
      const cache = cacheWith(100_000)
      return {
        find: (name) => cache.lookup(name)?.id,
        queries: pick(100_000, (i) => `api.w${i}.example.net`),
      }
    },
  },
  {
    // What createServer's SNICallback asks: explicit files, the folder, then managed certificates.
    label: 'CertificateSources (3 caches, folder hit), wildcard',
    names: 100_000,
    iterations: 2_000_000,
    setup: () => {
      const sources = new CertificateSources([
        new CertificateCache(),
        cacheWith(100_000),
        new CertificateCache(),
      ])
      return {
        find: (name) => sources.lookup(name)?.id,
        queries: pick(100_000, (i) => `api.w${i}.example.net`),
      }
    },
  },
  {
    label: 'CertificateCache.lookup, upper case + trailing dot',
    names: 100_000,
    iterations: 2_000_000,
    setup: () => {
      const cache = cacheWith(100_000)
      return {
        find: (name) => cache.lookup(name)?.id,
        queries: pick(100_000, (i) => `${host(i).toUpperCase()}.`),
      }
    },
  },
  {
    label: 'CertificateCache.contextFor, LRU hit (1000 hot names)',
    names: 100_000,
    iterations: 2_000_000,
    setup: () => {
      const cache = cacheWith(100_000)
      const queries = pick(1000, host)
      return { find: (name) => (cache.contextFor(name) ? name : undefined), queries }
    },
  },
  {
    label: 'addContext emulation (regex scan)',
    names: 10_000,
    iterations: 2_000,
    setup: () => ({ find: regexIndex(10_000), queries: pick(10_000, host) }),
  },
]

/**
 * CPU nanoseconds per call over `n` calls; throws if any query finds nothing. CPU time rather than
 * wall time: on a shared machine, time spent descheduled is not the lookup's.
 */
function timeRow(find: (name: string) => string | undefined, queries: string[], n: number): number {
  for (const q of queries) if (find(q) === undefined) throw new Error(`bench bug: ${q} not found`)
  let sink = 0
  const started = process.cpuUsage()
  for (let i = 0; i < n; i++) sink += find(queries[i & (QUERY_COUNT - 1)] as string)?.length ?? 0
  const used = process.cpuUsage(started)
  if (sink === 0) throw new Error('bench bug: nothing found')
  return ((used.user + used.system) * 1000) / n
}

function format(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(0)} µs` : `${ns.toFixed(0)} ns`
}

function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { runs: { type: 'string', default: '3' } } })
  const runs = Number(values.runs)
  if (!Number.isInteger(runs) || runs < MIN_RUNS) {
    console.error(`--runs ${values.runs} must be an integer >= ${MIN_RUNS}`)
    return 2
  }
  const load = loadavg()[0] ?? 0
  const table: string[][] = []
  for (const row of ROWS) {
    const { find, queries } = row.setup()
    const samples = Array.from({ length: runs }, () => timeRow(find, queries, row.iterations))
    table.push([
      row.label,
      row.names.toLocaleString('en-US'),
      format(median(samples)),
      format(Math.min(...samples)),
      format(Math.max(...samples)),
    ])
    console.error(`done: ${row.label} at ${row.names} names`)
  }
  console.log(
    `SNI lookup per call, median of ${runs} runs (Node ${process.version}, load ${load.toFixed(1)})\n`,
  )
  console.log(markdownTable(['lookup', 'names', 'median', 'min', 'max'], table))
  return 0
}

process.exitCode = main(process.argv.slice(2))
