import { readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { GatehouseError } from '../errors.js'

/** `<home>/gatehouse.pid`: the pid of the running `gatehouse serve` (the cluster primary with workers). */
export function pidFilePath(home: string): string {
  return join(home, 'gatehouse.pid')
}

/** Writes the pid (mode 0644: `gatehouse reload` may run as another user that can signal it). */
export async function writePidFile(home: string, pid = process.pid): Promise<string> {
  const file = pidFilePath(home)
  await mkdir(home, { recursive: true, mode: 0o700 })
  await writeFile(file, `${pid}\n`, { mode: 0o644 })
  return file
}

/** Removes the pid file if it still names `pid` (a newer instance may have replaced it). */
export async function removePidFile(home: string, pid = process.pid): Promise<void> {
  const file = pidFilePath(home)
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current?.trim() === String(pid)) await rm(file, { force: true })
}

/**
 * Sends `signal` to the server whose pid is in `<home>/gatehouse.pid`. Errors name the file and what
 * to do: no file (not running, or another --home), a stale pid, or no permission.
 */
export async function signalServer(home: string, signal: NodeJS.Signals): Promise<number> {
  const file = pidFilePath(home)
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new GatehouseError(
      'ERR_CONFIG',
      err.code === 'ENOENT'
        ? `no ${file}: gatehouse serve is not running with this home folder; give --home or start it`
        : `cannot read ${file}: ${err.message}`,
      { cause: err },
    )
  })
  const pid = Number(text.trim())
  if (!Number.isInteger(pid) || pid <= 1)
    throw new GatehouseError(
      'ERR_CONFIG',
      `${file} holds ${JSON.stringify(text.trim())}, not a pid; remove it`,
    )
  try {
    process.kill(pid, signal)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new GatehouseError(
      'ERR_CONFIG',
      code === 'ESRCH'
        ? `${file} names pid ${pid}, which is not running; remove the stale file and start gatehouse serve`
        : `cannot signal pid ${pid} from ${file}: ${(err as Error).message}; run as the user that runs gatehouse`,
      { cause: err },
    )
  }
  return pid
}
