// Runs every compiled test file with Node's built-in test runner. Node 20 has no glob support in
// `node --test`, so the files are listed here. Extra arguments filter by path substring.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function walk(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...walk(path))
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}
const filters = process.argv.slice(2)
const files = ['build/src', 'build/test', 'build/bench']
  .flatMap((d) => walk(d))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
if (files.length === 0) {
  console.error('no test files found under build/: run `npm run build` first')
  process.exit(1)
}
const res = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=3', '--test-timeout=180000', '--enable-source-maps', ...files],
  { stdio: 'inherit' },
)
process.exit(res.status ?? 1)
