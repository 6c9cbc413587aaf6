import { randomBytes } from 'node:crypto'
import { access, constants, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fail, ok, type CheckResult } from './check-result.js'

/**
 * Whether the home folder can hold accounts, keys and certificates: a file is written there and
 * removed again. A home that does not exist yet passes when its closest existing parent is a
 * writable folder (Gatehouse creates it on first use); nothing is created by the check.
 */
export async function checkHome(home: string): Promise<CheckResult> {
  const info = await stat(home).catch(() => undefined)
  if (info && !info.isDirectory()) {
    return fail('home', `${home} is a file, not a folder`, `move it away or give another --home`)
  }
  if (info) {
    const probe = join(home, `.gatehouse-doctor-${randomBytes(4).toString('hex')}`)
    try {
      await writeFile(probe, '', { mode: 0o600 })
      await rm(probe, { force: true })
      return ok('home', `${home} is writable`)
    } catch (err) {
      return notWritable(home, err)
    }
  }
  let parent = dirname(home)
  while (!(await stat(parent).catch(() => undefined)) && parent !== dirname(parent)) {
    parent = dirname(parent)
  }
  const parentInfo = await stat(parent).catch(() => undefined)
  if (!parentInfo?.isDirectory()) {
    return fail(
      'home',
      `${home} cannot be created: ${parent} is not a folder`,
      'give another --home',
    )
  }
  try {
    await access(parent, constants.W_OK)
    return ok('home', `${home} does not exist yet; it will be created in ${parent}`)
  } catch (err) {
    return notWritable(parent, err)
  }
}

function notWritable(dir: string, err: unknown): CheckResult {
  const code = (err as NodeJS.ErrnoException).code ?? 'error'
  const fix =
    code === 'EROFS'
      ? 'the file system is read-only; give a --home on a writable one (e.g. /var/lib/gatehouse)'
      : `give the user running gatehouse write access: sudo chown -R $(id -un) ${dir}, or give another --home`
  return fail('home', `${dir} is not writable (${code})`, fix)
}
