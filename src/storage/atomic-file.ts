import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errnoCode, storageError } from './fs-error.js'

/** Names of half-written files: `<file>.tmp-<16 hex>`. Readers skip them; a crash may leave them. */
export const TEMP_FILE_PATTERN = /\.tmp-[0-9a-f]{16}$/

/**
 * Writes `data` to a new temporary file beside `path` with `mode`, flushed to disk, and returns its
 * name. The caller moves it into place (rename, or link for exclusive creation) so a reader sees the
 * old file or the whole new one, and a crash mid-write leaves only a stray temporary file.
 */
export async function writeTemp(path: string, data: Uint8Array, mode: number): Promise<string> {
  const temp = `${path}.tmp-${randomBytes(8).toString('hex')}`
  try {
    const file = await open(temp, 'wx', mode)
    try {
      // open()'s mode is filtered by the umask; chmod makes it exact.
      await file.chmod(mode)
      await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    return temp
  } catch (err) {
    await removeQuietly(temp)
    throw err
  }
}

/** Atomic replace: write a temporary file, fsync it, rename it over `path`, fsync the folder. */
export async function writeFileAtomic(path: string, data: Uint8Array, mode: number): Promise<void> {
  const temp = await writeTemp(path, data, mode).catch((err: unknown) => {
    throw storageError(err, 'write', path)
  })
  try {
    await rename(temp, path)
  } catch (err) {
    await removeQuietly(temp)
    throw storageError(err, 'write', path)
  }
  await syncFolder(dirname(path))
}

/**
 * Flushes a folder so a rename or link in it survives a crash (POSIX only makes the entry durable once
 * the folder is synced). Some file systems refuse to fsync a folder; that is not worth failing for.
 */
export async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes(errnoCode(err) ?? '')) {
      throw storageError(err, 'sync the folder', folder)
    }
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined)
}
