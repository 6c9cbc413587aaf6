import { hostname } from 'node:os'
import { join } from 'node:path'
import { link, mkdir, readdir, readFile } from 'node:fs/promises'
import type { Clock } from '../clock.js'
import { removeQuietly, syncFolder, writeFileAtomic, writeTemp } from './atomic-file.js'
import { errnoCode, storageError } from './fs-error.js'
import { safeKeyPart } from './keys.js'
import type { LeaseBackend, LeaseRecord } from './lease.js'

/**
 * Longest safety margin (ms) before expiry inside which a renewal is refused: the check of the lease
 * file and the rename that extends it are two steps, and a taker that sees the lease expired between
 * them must not be overwritten. The margin is a tenth of the TTL, capped here.
 */
export const MAX_RENEW_MARGIN_MS = 1_000

const LEASE_FILE = /^(\d+)\.lease$/

interface LeaseFile extends LeaseRecord {
  readonly holder: string
}

/**
 * Leases as a chain of files, one per acquisition: `<locks>/<safe name>/<token>.lease` holding JSON
 * `{ token, expiresAt, holder }`. The highest token is the current lease; its number is the fencing
 * token, so tokens increase across acquisitions and survive restarts.
 *
 * Taking a lease is `link(temp, <token + 1>.lease)`: an exclusive create (like O_EXCL) that also
 * makes the file appear with its whole content. Two processes that both see lease N free or expired
 * race for the same name N + 1 and exactly one link succeeds, so taking over a stale lease needs no
 * conditional delete (which POSIX cannot do atomically). Renew and release rewrite only their own
 * file, and only while no newer one exists, so they never touch a lease someone else took.
 */
export class FileLeases implements LeaseBackend {
  readonly #folder: string
  readonly #clock: Clock
  readonly #holder = `${hostname()}/${process.pid}`

  constructor(folder: string, clock: Clock) {
    this.#folder = folder
    this.#clock = clock
  }

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseRecord | undefined> {
    const folder = await this.#ensureFolder(name)
    const tokens = await this.#tokens(folder)
    const top = tokens.at(-1) ?? 0
    if (top > 0) {
      const current = await this.#read(folder, top)
      // A missing top file was just cleaned up by a newer holder: held.
      if (!current || current.expiresAt > this.#clock.now()) return undefined
    }
    const record: LeaseFile = {
      token: top + 1,
      expiresAt: this.#clock.now() + ttlMs,
      holder: this.#holder,
    }
    const path = join(folder, `${record.token}.lease`)
    const temp = await writeTemp(path, encode(record), 0o600).catch((err: unknown) => {
      throw storageError(err, 'write the lock file', path)
    })
    try {
      await link(temp, path)
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return undefined
      throw storageError(err, 'create the lock file', path)
    } finally {
      await removeQuietly(temp)
    }
    await syncFolder(folder)
    await Promise.all(tokens.map((old) => removeQuietly(join(folder, `${old}.lease`))))
    return { token: record.token, expiresAt: record.expiresAt }
  }

  async renew(name: string, token: number, ttlMs: number): Promise<number | undefined> {
    const folder = this.#folderOf(name)
    const current = await this.#readIfTop(folder, token)
    const margin = Math.min(ttlMs / 10, MAX_RENEW_MARGIN_MS)
    if (!current || this.#clock.now() >= current.expiresAt - margin) return undefined
    const expiresAt = this.#clock.now() + ttlMs
    await writeFileAtomic(join(folder, `${token}.lease`), encode({ ...current, expiresAt }), 0o600)
    // Belt and braces: if a taker got in despite the margin, the lease is lost, not renewed.
    const tokens = await this.#tokens(folder)
    return tokens.at(-1) === token ? expiresAt : undefined
  }

  async release(name: string, token: number): Promise<void> {
    const folder = this.#folderOf(name)
    const current = await this.#readIfTop(folder, token)
    if (!current || current.expiresAt === 0) return
    // Kept with expiresAt 0 rather than deleted: the file carries the token counter forward.
    await writeFileAtomic(
      join(folder, `${token}.lease`),
      encode({ ...current, expiresAt: 0 }),
      0o600,
    )
  }

  #folderOf(name: string): string {
    return join(this.#folder, safeKeyPart(name))
  }

  async #ensureFolder(name: string): Promise<string> {
    const folder = this.#folderOf(name)
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      throw storageError(err, 'create the lock folder', folder)
    })
    return folder
  }

  /** The lease tokens present, ascending. */
  async #tokens(folder: string): Promise<number[]> {
    let names: string[]
    try {
      names = await readdir(folder)
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return []
      throw storageError(err, 'list the lock folder', folder)
    }
    const tokens = names.flatMap((n) => {
      const match = LEASE_FILE.exec(n)
      return match?.[1] ? [Number(match[1])] : []
    })
    return tokens.sort((a, b) => a - b)
  }

  async #readIfTop(folder: string, token: number): Promise<LeaseFile | undefined> {
    const tokens = await this.#tokens(folder)
    return tokens.at(-1) === token ? this.#read(folder, token) : undefined
  }

  async #read(folder: string, token: number): Promise<LeaseFile | undefined> {
    const path = join(folder, `${token}.lease`)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined
      throw storageError(err, 'read the lock file', path)
    }
    return decode(text, token)
  }
}

function encode(record: LeaseFile): Uint8Array {
  return Buffer.from(JSON.stringify(record), 'utf8')
}

/**
 * Lease files only ever appear whole (link or rename of a flushed file), so a file that does not parse
 * was damaged outside Gatehouse: it is treated as expired so the lock can be taken again.
 */
function decode(text: string, token: number): LeaseFile {
  try {
    const data = JSON.parse(text) as Partial<LeaseFile>
    const expiresAt = typeof data.expiresAt === 'number' ? data.expiresAt : 0
    const holder = typeof data.holder === 'string' ? data.holder : 'unknown'
    return { token, expiresAt, holder }
  } catch {
    return { token, expiresAt: 0, holder: 'unknown' }
  }
}
