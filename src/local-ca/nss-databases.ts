import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { lastLine, runCommand } from './run-command.js'
import type { TrustStep } from './trust-step.js'

/** The NSS trust flags for a TLS server CA: `C` = trusted CA for SSL, nothing for email or code. */
const NSS_TRUST_FLAGS = 'C,,'

/** Install hint shown when NSS databases exist but `certutil` does not. */
export const CERTUTIL_HINT =
  'install certutil (Debian/Ubuntu: apt-get install libnss3-tools; Fedora: dnf install nss-tools; macOS: brew install nss)'

/**
 * The NSS databases (SQL format, `cert9.db`) under `home` that browsers read: Chromium's shared
 * `~/.pki/nssdb` and every Firefox profile, packaged or snap. Older `cert8.db` (DBM) profiles are
 * left out: certutil's `sql:` prefix cannot open them and Firefox migrated them in 2017 (Firefox 58).
 */
export function findNssDatabases(home: string): string[] {
  const found: string[] = []
  const chromium = [join(home, '.pki/nssdb'), join(home, 'snap/chromium/current/.pki/nssdb')]
  for (const dir of chromium) if (existsSync(join(dir, 'cert9.db'))) found.push(dir)
  const firefoxRoots = [
    join(home, '.mozilla/firefox'),
    join(home, 'snap/firefox/common/.mozilla/firefox'),
  ]
  for (const root of firefoxRoots) {
    let entries: string[]
    try {
      entries = readdirSync(root)
    } catch {
      continue
    }
    for (const profile of entries.sort()) {
      if (existsSync(join(root, profile, 'cert9.db'))) found.push(join(root, profile))
    }
  }
  return found
}

export interface NssChange {
  certutil: string
  dir: string
  nickname: string
  /** A file holding the root PEM (for `-i`). */
  rootFile: string
  dryRun: boolean
  signal?: AbortSignal
}

/** Adds the root to one NSS database with `certutil -A` unless it is already there. */
export async function addToNss(change: NssChange): Promise<TrustStep> {
  const { certutil, dir, nickname, rootFile, dryRun } = change
  const db = `sql:${resolve(dir)}`
  const step = (status: TrustStep['status'], message: string): TrustStep => ({
    store: 'nss',
    target: db,
    status,
    message,
  })
  if (!existsSync(join(dir, 'cert9.db'))) {
    return step(
      'skipped',
      `no NSS database in ${dir} (create one with certutil -N -d ${db} --empty-password)`,
    )
  }
  if (await isInNss(change, db)) return step('skipped', `already in NSS database ${db}`)
  if (dryRun) return step('dry-run', `would add to NSS database ${db} as "${nickname}"`)
  const args = ['-A', '-d', db, '-t', NSS_TRUST_FLAGS, '-n', nickname, '-i', rootFile]
  const result = await runCommand(certutil, args, signalOf(change))
  return result.code === 0
    ? step('done', `added to NSS database ${db}`)
    : step('failed', `certutil could not add it to ${db}: ${lastLine(result)}`)
}

/** Removes the root from one NSS database with `certutil -D` when it is there. */
export async function removeFromNss(change: NssChange): Promise<TrustStep> {
  const { certutil, dir, nickname, dryRun } = change
  const db = `sql:${resolve(dir)}`
  const step = (status: TrustStep['status'], message: string): TrustStep => ({
    store: 'nss',
    target: db,
    status,
    message,
  })
  if (!existsSync(join(dir, 'cert9.db'))) return step('skipped', `no NSS database in ${dir}`)
  if (!(await isInNss(change, db))) return step('skipped', `not in NSS database ${db}`)
  if (dryRun) return step('dry-run', `would remove "${nickname}" from NSS database ${db}`)
  const result = await runCommand(certutil, ['-D', '-d', db, '-n', nickname], signalOf(change))
  return result.code === 0
    ? step('done', `removed from NSS database ${db}`)
    : step('failed', `certutil could not remove it from ${db}: ${lastLine(result)}`)
}

/** `certutil -L -n NICK` exits non-zero when no certificate has that nickname. */
async function isInNss(change: NssChange, db: string): Promise<boolean> {
  const result = await runCommand(
    change.certutil,
    ['-L', '-d', db, '-n', change.nickname],
    signalOf(change),
  )
  return result.code === 0
}

function signalOf(change: NssChange): { signal?: AbortSignal } {
  return change.signal ? { signal: change.signal } : {}
}
