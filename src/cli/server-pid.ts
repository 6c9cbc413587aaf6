import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The file `gatehouse serve` writes its process id to, inside the home folder. */
export const PID_FILE = 'gatehouse.pid'

/** What became of asking a running server to reload. */
export type ReloadOutcome =
  | { status: 'signalled'; pid: number }
  | { status: 'no-server' }
  | { status: 'stale'; pid: number; reason: string }
  | { status: 'failed'; pid: number; reason: string }

/**
 * The running server named by `<home>/gatehouse.pid`. A pid file left by a server that is gone is
 * `stale`, and so is one whose process (on Linux, by /proc/PID/cmdline) is not a gatehouse: a pid
 * reused by another program must never get our signals.
 */
export async function findRunningServer(
  home: string,
): Promise<
  | { status: 'running'; pid: number }
  | { status: 'no-server' }
  | { status: 'stale'; pid: number; reason: string }
> {
  const file = join(home, PID_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return { status: 'no-server' }
  }
  const pid = Number(text.trim())
  if (!Number.isInteger(pid) || pid <= 1) {
    return { status: 'stale', pid: 0, reason: `${file} holds no process id` }
  }
  const gone = { status: 'stale', pid, reason: `no process ${pid} is running` } as const
  if (process.platform === 'linux') {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline === '') return gone
    if (!cmdline.includes('gatehouse')) {
      return { status: 'stale', pid, reason: `process ${pid} is not gatehouse` }
    }
    return { status: 'running', pid }
  }
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return gone
  }
  return { status: 'running', pid }
}

/** Sends SIGHUP to the running server (see {@link findRunningServer}) so it reloads its certificates. */
export async function reloadRunningServer(home: string): Promise<ReloadOutcome> {
  const found = await findRunningServer(home)
  if (found.status !== 'running') return found
  const { pid } = found
  try {
    process.kill(pid, 'SIGHUP')
    return { status: 'signalled', pid }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ESRCH') return { status: 'stale', pid, reason: `no process ${pid} is running` }
    return { status: 'failed', pid, reason: `cannot signal process ${pid} (${code ?? 'error'})` }
  }
}
