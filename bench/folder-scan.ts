// `npm run bench -- folder-scan [--count N] [--runs R]`: CPU and wall time for CertificateFolder.scan()
// to validate and index N certificate pairs (the start-up cost of a large certificate folder), median of R.
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
const results: { wallMs: number; cpuMs: number }[] = []
for (let i = 0; i < runs; i++) {
  const cache = new CertificateCache()
  let refused = 0
  const folder = new CertificateFolder({
    dir: set.dir,
    cache,
    onEvent: (e) => void (e.type === 'refused' && refused++),
  })
  const cpu = process.cpuUsage()
  const start = performance.now()
  await folder.scan()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  if (cache.size !== count || refused > 0)
    throw new Error(`indexed ${cache.size} of ${count}, refused ${refused}`)
  results.push({ wallMs, cpuMs: (used.user + used.system) / 1000 })
}
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const wall = median(results.map((r) => r.wallMs))
const cpu = median(results.map((r) => r.cpuMs))
console.log(
  `| pairs | runs | median wall | median CPU | CPU per pair |\n| --- | --- | --- | --- | --- |`,
)
console.log(
  `| ${count} | ${runs} | ${(wall / 1000).toFixed(2)} s | ${(cpu / 1000).toFixed(2)} s | ${((cpu * 1000) / count).toFixed(0)} µs |`,
)
