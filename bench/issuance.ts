/**
 * Issuance benchmark: Gatehouse side by side with lego and certbot, all against one Pebble.
 *
 *   npm run bench -- issuance [--runs 5] [--concurrency 50] [--only gatehouse,lego,…]
 *                             [--concurrent-clients gatehouse,gatehouse-shared-tls,lego]
 *
 * Clients: gatehouse, gatehouse-shared-tls, gatehouse-cli, lego, certbot. `--concurrency 0` skips
 * the concurrency rows; certbot can join them but 50 Pythons on one core take minutes.
 *
 * Clients run on core 0 and Pebble on core 1 (see lib/pinning.ts). Prints a Markdown table and
 * writes the raw figures to `.bench-out/issuance.json`. BENCHMARKS.md says how to read them.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startPebble, type Pebble } from '../test/helpers/pebble.js'
import { describeEnvironment } from './lib/environment.js'
import {
  certbotSpec,
  commandContender,
  gatehouseCliSpec,
  legoSpec,
} from './lib/external-clients.js'
import { canPin, pinPebbleOnPath, reexecPinned } from './lib/pinning.js'
import { addRatios, markdownReport, rowResult, type BenchReport } from './lib/report.js'
import type { Contender, Sample } from './lib/row.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ALL = ['gatehouse', 'gatehouse-shared-tls', 'gatehouse-cli', 'lego', 'certbot'] as const
/** Fewer runs than this give no meaningful median or p90. */
const MIN_RUNS = 3

interface Options {
  runs: number
  concurrency: number
  only: readonly string[]
  concurrentClients: readonly string[]
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '50' },
      only: { type: 'string', default: ALL.join(',') },
      'concurrent-clients': { type: 'string', default: 'gatehouse,gatehouse-shared-tls,lego' },
    },
  })
  const runs = Number(values.runs)
  if (!Number.isInteger(runs) || runs < MIN_RUNS) {
    throw new RangeError(`--runs ${values.runs} is too few; use an integer >= ${MIN_RUNS}`)
  }
  const concurrency = Number(values.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 0) {
    throw new RangeError(
      `--concurrency ${values.concurrency} is invalid; use an integer >= 0 (0 skips)`,
    )
  }
  const list = (s: string): string[] =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
  const only = list(values.only)
  for (const id of [...only, ...list(values['concurrent-clients'])]) {
    if (!(ALL as readonly string[]).includes(id)) {
      throw new RangeError(`unknown client ${JSON.stringify(id)}; use one of ${ALL.join(', ')}`)
    }
  }
  return { runs, concurrency, only, concurrentClients: list(values['concurrent-clients']) }
}

/** Builds the selected clients; one that cannot even be constructed is recorded as skipped. */
async function contenders(
  pebble: Pebble,
  only: readonly string[],
  skipped: BenchReport['skipped'],
): Promise<Contender[]> {
  const out: Contender[] = []
  for (const id of only) {
    try {
      if (id === 'gatehouse' || id === 'gatehouse-shared-tls') {
        // Imported lazily so the command-line rows still run while the ACME client is unfinished.
        const { gatehouseContender } = await import('./lib/gatehouse-contender.js')
        out.push(await gatehouseContender(pebble, { sharedTlsContext: id !== 'gatehouse' }))
      } else if (id === 'gatehouse-cli') {
        out.push(
          commandContender(gatehouseCliSpec(pebble, join(ROOT, 'bin', 'gatehouse.js')), pebble),
        )
      } else if (id === 'lego') {
        out.push(commandContender(legoSpec(pebble), pebble))
      } else if (id === 'certbot') {
        out.push(commandContender(certbotSpec(pebble), pebble))
      }
    } catch (err) {
      skipped.push({ id, reason: failureSummary(err) })
    }
  }
  return out
}

/**
 * Warm-up, then `runs` rounds. Rounds interleave the clients (A B C, A B C, …) so that Pebble's
 * growing in-memory state and any drift of the machine weigh on every client alike.
 */
async function sequentialRows(
  clients: Contender[],
  runs: number,
  report: BenchReport,
): Promise<Contender[]> {
  const live: Contender[] = []
  for (const c of clients) {
    try {
      await c.warmUp(`warmup.${c.id}.example.test`)
      live.push(c)
    } catch (err) {
      report.skipped.push({ id: c.id, reason: `warm-up issuance failed: ${failureSummary(err)}` })
    }
  }
  const samples = new Map<string, Sample[]>(live.map((c) => [c.id, []]))
  for (let i = 1; i <= runs; i++) {
    for (const c of live) {
      samples.get(c.id)?.push(await c.issue(`bench-${i}.${c.id}.example.test`))
      process.stderr.write('.')
    }
  }
  process.stderr.write('\n')
  for (const c of live) report.rows.push(rowResult(c, samples.get(c.id) ?? []))
  return live
}

async function concurrentRows(
  clients: Contender[],
  options: Options,
  report: BenchReport,
): Promise<void> {
  for (const c of clients) {
    if (!c.issueMany || !options.concurrentClients.includes(c.id) || options.concurrency === 0)
      continue
    const names = Array.from(
      { length: options.concurrency },
      (_, i) => `c${i + 1}.${c.id}.example.test`,
    )
    try {
      const { wallMs, cpuMs } = await c.issueMany(names)
      report.concurrent.push({
        id: c.id,
        label: c.label,
        command: c.concurrentCommand ?? c.command,
        certificates: names.length,
        wallMs,
        cpuMs,
      })
    } catch (err) {
      report.skipped.push({ id: `${c.id} (concurrent)`, reason: failureSummary(err) })
    }
  }
}

async function main(options: Options): Promise<number> {
  const pinned = canPin()
  if (pinned) {
    const code = reexecPinned()
    if (code !== undefined) return code
  }
  const report: BenchReport = {
    environment: describeEnvironment(new Date()),
    pinned,
    runs: options.runs,
    rows: [],
    concurrent: [],
    skipped: [],
  }
  const restorePath = pinned ? pinPebbleOnPath() : () => {}
  let pebble: Pebble
  try {
    pebble = await startPebble({ nonceReject: 0, authzReuse: 0 })
  } finally {
    restorePath()
  }
  const clients = await contenders(pebble, options.only, report.skipped)
  try {
    const live = await sequentialRows(clients, options.runs, report)
    await concurrentRows(live, options, report)
  } finally {
    await Promise.all(clients.map((c) => c.close()))
    await pebble.stop()
  }
  report.loadAverageEnd = loadavg()[0] ?? 0
  addRatios(report, 'gatehouse')
  const outDir = join(ROOT, '.bench-out')
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'issuance.json'), `${JSON.stringify(report, null, 2)}\n`)
  process.stdout.write(markdownReport(report))
  return 0
}

/** The first line of a failure (which command) and its last lines (why: clients log the cause last). */
function failureSummary(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter(Boolean)
  const picked = lines.length <= 4 ? lines : [lines[0], '…', ...lines.slice(-3)]
  return picked.join(' ').slice(0, 600)
}

let options: Options | undefined
try {
  options = parseOptions(process.argv.slice(2))
} catch (err) {
  // Bad options (parseArgs' TypeError, our RangeErrors) are usage errors, not crashes.
  process.stderr.write(`issuance: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 2
}
if (options) process.exitCode = await main(options)
