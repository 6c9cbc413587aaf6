import { readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

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
