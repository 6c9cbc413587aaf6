// `npm run bench -- NAME [args]`: runs build/bench/NAME.js (built by `npm run bench`'s tsc step).
// Without NAME, lists the benches: every .js file directly in build/bench (helpers live in lib/).
import { existsSync, readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'bench')
const benches = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
      .sort()
  : []
const [name, ...args] = process.argv.slice(2)
if (!name || !benches.includes(name)) {
  if (name) console.error(`unknown bench ${JSON.stringify(name)}`)
  console.error(
    `usage: npm run bench -- NAME [args]\navailable: ${benches.join(', ') || '(none: run npm run build)'}`,
  )
  process.exit(name ? 1 : 2)
}
const res = spawnSync(process.execPath, [join(dir, `${name}.js`), ...args], { stdio: 'inherit' })
process.exit(res.status ?? 1)
