import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** Core the clients (Gatehouse, lego, certbot) run on. */
export const CLIENT_CPU = '0'
/** Core Pebble and challtestsrv run on, so the CA never competes with the client it serves. */
export const PEBBLE_CPU = '1'

/** Set in the re-executed bench so it does not re-execute itself again. */
const PINNED_ENV = 'GATEHOUSE_BENCH_PINNED'

/**
 * True when the machine has the two cores the pinning needs and `taskset` exists. Counted with
 * `cpus()`, not `availableParallelism()`: the latter follows this process's affinity, which is one
 * core once the bench has re-executed itself pinned.
 */
export function canPin(): boolean {
  if (cpus().length < 2) return false
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Re-executes this bench under `taskset -c 0` so the in-process rows (Gatehouse inside this very
 * process) run on the client core: affinity set before `exec` covers every thread Node starts
 * (libuv pool, V8 platform workers), which `taskset -p` on a running process would not.
 * Returns the child's exit code, or `undefined` when this process is already the pinned one.
 */
export function reexecPinned(): number | undefined {
  if (process.env[PINNED_ENV] === '1') return undefined
  const res = spawnSync(
    'taskset',
    ['-c', CLIENT_CPU, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [PINNED_ENV]: '1' } },
  )
  return res.status ?? 1
}

/**
 * Puts wrappers named `pebble` and `pebble-challtestsrv` first on PATH that exec the real binaries
 * under `taskset -c 1`: the Pebble fixture spawns them by name, and this pins them without changing
 * the fixture. Returns a function that restores PATH and removes the wrappers.
 */
export function pinPebbleOnPath(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-bin-'))
  for (const name of ['pebble', 'pebble-challtestsrv']) {
    const real = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim()
    const wrapper = join(dir, name)
    writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${PEBBLE_CPU} ${real} "$@"\n`)
    chmodSync(wrapper, 0o755)
  }
  const before = process.env.PATH
  process.env.PATH = `${dir}${delimiter}${before ?? ''}`
  return () => {
    if (before === undefined) delete process.env.PATH
    else process.env.PATH = before
    rmSync(dir, { recursive: true, force: true })
  }
}
