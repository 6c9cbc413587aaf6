import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/** A spawned peer (Pebble, BIND, nginx…) whose output is kept for diagnostics and which `stop()` ends. */
export interface Peer {
  readonly child: ChildProcess
  /** Everything the process printed so far (stdout and stderr, capped at 1 MiB). */
  output(): string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>
}

export function spawnPeer(command: string, args: string[], options: SpawnOptions = {}): Peer {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  let out = ''
  const keep = (chunk: Buffer): void => {
    if (out.length < 1 << 20) out += chunk.toString('utf8')
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  child.on('error', (err) => {
    out += `\nspawn error: ${err.message}\n`
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return {
    child,
    output: () => out,
    async stop(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        await exited
        clearTimeout(timer)
      }
    },
  }
}

/** Polls `check` every 50 ms until it returns true, for at most `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15000,
  diagnostics?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms${diagnostics ? `\n${diagnostics()}` : ''}`,
  )
}
