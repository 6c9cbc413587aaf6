// `npm run bench -- folder-scan [--count N] [--runs R]`: CPU and wall time for CertificateFolder.scan()
// to index N certificate pairs by file name (the start-up cost of a large certificate folder), then for
// loadAll() to read and check every pair (what a status check costs; a server pays it per name, at the
// first handshake for that name), median of R.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CertificateFolder } from '../src/manager/certificate-folder.js'
import { CertificateCache } from '../src/tls/certificate-cache.js'
import { certificateSet } from './lib/tls-peers.js'

const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } },
})
const count = Number(values.count)
const runs = Math.max(3, Number(values.runs))
const set = await certificateSet(join(tmpdir(), 'gatehouse-bench-startup'), count)
interface Timing {
  wallMs: number
  cpuMs: number
}
const results: { scan: Timing; loadAll: Timing }[] = []
async function timed(work: () => Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  await work()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { wallMs, cpuMs: (used.user + used.system) / 1000 }
}
for (let i = 0; i < runs; i++) {
  const cache = new CertificateCache()
  let refused = 0
  const folder = new CertificateFolder({
    dir: set.dir,
    cache,
    onEvent: (e) => void (e.type === 'refused' && refused++),
  })
  const scan = await timed(() => folder.scan())
  if (cache.pendingCount < count) throw new Error(`indexed ${cache.pendingCount} of ${count}`)
  const loadAll = await timed(() => folder.loadAll())
  if (cache.size < count || refused > 0)
    throw new Error(`loaded ${cache.size} of ${count}, refused ${refused}`)
  results.push({ scan, loadAll })
}
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
console.log(
  `| step | pairs | runs | median wall | median CPU | CPU per pair |\n| --- | --- | --- | --- | --- | --- |`,
)
for (const step of ['scan', 'loadAll'] as const) {
  const wall = median(results.map((r) => r[step].wallMs))
  const cpu = median(results.map((r) => r[step].cpuMs))
  console.log(
    `| ${step} | ${count} | ${runs} | ${(wall / 1000).toFixed(2)} s | ${(cpu / 1000).toFixed(2)} s | ${((cpu * 1000) / count).toFixed(0)} µs |`,
  )
}
