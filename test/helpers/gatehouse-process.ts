import { spawn, type ChildProcess } from 'node:child_process'

const BIN = new URL('../../../bin/gatehouse.js', import.meta.url).pathname

/** A `gatehouse` child process whose JSON log lines (stderr) and stdout a test can wait on. */
export interface GatehouseProcess {
  readonly child: ChildProcess
  readonly pid: number
  stdout(): string
  stderr(): string
  /** Log lines (JSON on stderr) parsed so far. */
  logs(): Record<string, unknown>[]
  /** Resolves with the first log line (present or future) matching; rejects after `timeoutMs`. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  /** Sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
  readonly exited: Promise<number | null>
}

/** Runs `node bin/gatehouse.js ...args` with only the environment given (plus PATH and HOME). */
export function spawnGatehouse(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): GatehouseProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  })
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString()
    for (const w of [...waiters]) w()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const logs = (): Record<string, unknown>[] =>
    err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return {
    child,
    pid: child.pid ?? 0,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    waitForLog(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const line = logs().find(match)
          if (line) {
            cleanup()
            resolve(line)
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr:\n${err}`))
        }, timeoutMs)
        const onExit = (): void => {
          cleanup()
          reject(
            new Error(`gatehouse exited before the log line; stderr:\n${err}\nstdout:\n${out}`),
          )
        }
        const cleanup = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
          child.off('exit', onExit)
        }
        waiters.add(check)
        child.once('exit', onExit)
        check()
      })
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.kill(signal)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
