import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

/** Longest a single client command may run before it is killed and the run counted as failed. */
export const COMMAND_TIMEOUT_MS = 120_000

/** Output kept per command for the failure message (the tail is what explains a failure). */
const OUTPUT_CAP = 64 * 1024

export interface CommandRun {
  /** Wall time from spawn to exit, in milliseconds. */
  wallMs: number
  /** User + system CPU time of the command and its children, in milliseconds (10 ms resolution). */
  cpuMs: number
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv
  /** CPU list for `taskset -c`, e.g. `'0'`; omitted: no pinning. */
  cpus?: string
  signal?: AbortSignal
}

/**
 * Runs `command` under `/usr/bin/time` so the child's rusage (user + system time, children included)
 * is measured by the kernel rather than guessed: Node's `spawn` reports no rusage for a child.
 */
export async function timedCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-bench-time-'))
  const timeFile = join(scratch, 'time.txt')
  const timed = ['/usr/bin/time', '-f', '%U %S', '-o', timeFile, command, ...args]
  const argv = options.cpus === undefined ? timed : ['taskset', '-c', options.cpus, ...timed]
  try {
    const started = performance.now()
    const { code, output } = await run(argv, options)
    const wallMs = performance.now() - started
    if (code !== 0) {
      throw new Error(`${command} exited with ${code}:\n${output.slice(-4000)}`)
    }
    return { wallMs, cpuMs: parseTimeFile(readFileSync(timeFile, 'utf8')) }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** `/usr/bin/time -f '%U %S'` output: the last line holds user and system seconds. */
export function parseTimeFile(text: string): number {
  const last = text.trim().split('\n').at(-1) ?? ''
  const [user, sys] = last.split(' ').map(Number)
  if (user === undefined || sys === undefined || Number.isNaN(user) || Number.isNaN(sys)) {
    throw new Error(`cannot read /usr/bin/time output ${JSON.stringify(text)}`)
  }
  return Math.round((user + sys) * 1000)
}

function run(
  argv: readonly string[],
  options: CommandOptions,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const [file, ...rest] = argv as [string, ...string[]]
    const child = spawn(file, rest, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      ...(options.signal ? { signal: options.signal } : {}),
    })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_CAP)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), output }))
  })
}
