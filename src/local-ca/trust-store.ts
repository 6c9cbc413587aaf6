import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCertificate } from '../crypto/certificate.js'
import { pemToDer, splitPemChain } from '../crypto/pem.js'
import { throwIfAborted } from '../errors.js'
import { addToNss, CERTUTIL_HINT, findNssDatabases, removeFromNss } from './nss-databases.js'
import { findCommand, lastLine, runCommand } from './run-command.js'
import type { TrustStep } from './trust-step.js'

export type { TrustStep } from './trust-step.js'

/** Paths of the tools used, for tests and unusual installs; by default found in PATH and sbin. */
export interface TrustCommands {
  updateCaCertificates?: string
  updateCaTrust?: string
  security?: string
  certutil?: string
}

export interface TrustStoreOptions {
  /** Report what would be done, change nothing. Default false. */
  dryRun?: boolean
  /** Touch the system store. Default true. */
  system?: boolean
  /** Touch NSS databases (Chromium, Firefox). Default true. */
  nss?: boolean
  /** NSS database folders to use besides those found under `home`. */
  nssDatabases?: readonly string[]
  /** Where browser profiles are looked for. Default: the user's home folder. */
  home?: string
  /** Prefix for the system store folders, so tests can use a fake tree. Default `/`. */
  systemRoot?: string
  /** Default: `process.platform`. */
  platform?: NodeJS.Platform
  commands?: TrustCommands
  /** Searched for the tools. Default: `process.env.PATH`. */
  pathEnv?: string
  signal?: AbortSignal
}

/** A Linux anchor folder and the tool that rebuilds the bundle from it. */
interface LinuxStore {
  store: 'debian' | 'fedora'
  dir: string
  /** update-ca-certificates only reads `*.crt` (its man page); Fedora reads any extension. */
  extension: string
  command: string
  override: keyof TrustCommands
  addArgs: string[]
  /** `--fresh` drops the /etc/ssl/certs link a removed certificate leaves dangling. */
  removeArgs: string[]
  packageHint: string
}

const LINUX_STORES: readonly LinuxStore[] = [
  {
    store: 'debian',
    dir: 'usr/local/share/ca-certificates',
    extension: 'crt',
    command: 'update-ca-certificates',
    override: 'updateCaCertificates',
    addArgs: [],
    removeArgs: ['--fresh'],
    packageHint: 'apt-get install ca-certificates',
  },
  {
    store: 'fedora',
    dir: 'etc/pki/ca-trust/source/anchors',
    extension: 'pem',
    command: 'update-ca-trust',
    override: 'updateCaTrust',
    addArgs: ['extract'],
    removeArgs: ['extract'],
    packageHint: 'dnf install ca-certificates',
  },
]

/** macOS admin keychain: trust settings there apply to every user (`security add-trusted-cert -d`). */
const MACOS_KEYCHAIN = '/Library/Keychains/System.keychain'

/** Everything a step needs, resolved once. */
interface Context {
  rootPem: string
  id: string
  sha1: string
  rootFile: string
  options: TrustStoreOptions
  pathEnv: string
}

/**
 * Adds the root to the system trust store (Debian/Ubuntu, Fedora or macOS, whichever this host has)
 * and to every NSS database found (Chromium's and Firefox's own stores, which ignore the system
 * store on Linux). Returns one step per store: what was done, skipped and why, or what failed.
 */
export async function trust(
  rootPem: string,
  options: TrustStoreOptions = {},
): Promise<TrustStep[]> {
  return changeTrust(rootPem, options, 'add')
}

/** Removes what {@link trust} added; stores that do not hold the root are reported as skipped. */
export async function untrust(
  rootPem: string,
  options: TrustStoreOptions = {},
): Promise<TrustStep[]> {
  return changeTrust(rootPem, options, 'remove')
}

async function changeTrust(
  rootPem: string,
  options: TrustStoreOptions,
  action: 'add' | 'remove',
): Promise<TrustStep[]> {
  return withContext(rootPem, options, async (ctx) => [
    ...(options.system === false ? [] : [await systemStep(ctx, action)]),
    ...(options.nss === false ? [] : await nssSteps(ctx, action)),
  ])
}

/** The name files and NSS nicknames use: stable for one root, different for every other root. */
export function trustName(rootPem: string): string {
  return `gatehouse-${parseCertificate(rootPem).sha256FingerprintHex.slice(0, 16)}`
}

async function withContext(
  rootPem: string,
  options: TrustStoreOptions,
  body: (ctx: Context) => Promise<TrustStep[]>,
): Promise<TrustStep[]> {
  const [pem] = splitPemChain(rootPem)
  if (!pem) throw new TypeError('trust()/untrust() need the root certificate as PEM')
  throwIfAborted(options.signal)
  const sha1 = createHash('sha1').update(pemToDer(pem)).digest('hex')
  const temp = await mkdtemp(join(tmpdir(), 'gatehouse-trust-'))
  try {
    const rootFile = join(temp, 'root.pem')
    await writeFile(rootFile, pem, { mode: 0o644 })
    const ctx: Context = {
      rootPem: pem,
      id: trustName(pem),
      sha1,
      rootFile,
      options,
      pathEnv: options.pathEnv ?? process.env.PATH ?? '',
    }
    return await body(ctx)
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

async function systemStep(ctx: Context, action: 'add' | 'remove'): Promise<TrustStep> {
  const platform = ctx.options.platform ?? process.platform
  if (platform === 'darwin') return macosStep(ctx, action)
  const systemRoot = ctx.options.systemRoot ?? '/'
  const store = LINUX_STORES.find((s) => existsSync(join(systemRoot, s.dir)))
  if (!store) {
    const looked = LINUX_STORES.map((s) => join(systemRoot, s.dir)).join(', ')
    return {
      store: 'system',
      target: systemRoot,
      status: 'skipped',
      message: `no system trust store this tool knows (looked for ${looked}); trust the root by hand`,
    }
  }
  return action === 'add' ? addLinux(ctx, store, systemRoot) : removeLinux(ctx, store, systemRoot)
}

async function addLinux(ctx: Context, store: LinuxStore, systemRoot: string): Promise<TrustStep> {
  const { file, step } = linuxTarget(ctx, store, systemRoot)
  const command = await findLinuxCommand(ctx, store)
  if (!command)
    return step('failed', `found ${store.dir} but not ${store.command}; ${store.packageHint}`)
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current === ctx.rootPem) return step('skipped', `already in ${file}`)
  if (ctx.options.dryRun) return step('dry-run', `would add to ${file}; run ${store.command}`)
  try {
    await writeFile(file, ctx.rootPem, { mode: 0o644 })
  } catch (err) {
    return step('failed', `cannot write ${file}: ${fsReason(err)}; run it with sudo`)
  }
  const result = await runCommand(command, store.addArgs, signalOf(ctx))
  return result.code === 0
    ? step('done', `added to ${file}; ran ${store.command}`)
    : step('failed', `added to ${file} but ${store.command} failed: ${lastLine(result)}`)
}

async function removeLinux(
  ctx: Context,
  store: LinuxStore,
  systemRoot: string,
): Promise<TrustStep> {
  const { file, step } = linuxTarget(ctx, store, systemRoot)
  if (!existsSync(file)) return step('skipped', `not in ${join(systemRoot, store.dir)}`)
  const command = await findLinuxCommand(ctx, store)
  if (!command) return step('failed', `cannot find ${store.command}; ${store.packageHint}`)
  if (ctx.options.dryRun) return step('dry-run', `would remove ${file}; run ${store.command}`)
  try {
    await unlink(file)
  } catch (err) {
    return step('failed', `cannot remove ${file}: ${fsReason(err)}; run it with sudo`)
  }
  const result = await runCommand(command, store.removeArgs, signalOf(ctx))
  return result.code === 0
    ? step('done', `removed ${file}; ran ${[store.command, ...store.removeArgs].join(' ')}`)
    : step('failed', `removed ${file} but ${store.command} failed: ${lastLine(result)}`)
}

/** The root's anchor file in a Linux store, and a step that reports on it. */
function linuxTarget(
  ctx: Context,
  store: LinuxStore,
  systemRoot: string,
): { file: string; step: (status: TrustStep['status'], message: string) => TrustStep } {
  const file = join(systemRoot, store.dir, `${ctx.id}.${store.extension}`)
  return {
    file,
    step: (status, message) => ({ store: store.store, target: file, status, message }),
  }
}

/** The tool that rebuilds the store's bundle: the configured path, else found in PATH and sbin. */
function findLinuxCommand(ctx: Context, store: LinuxStore): Promise<string | undefined> {
  return findCommand(store.command, ctx.pathEnv, ctx.options.commands?.[store.override])
}

/**
 * macOS keeps trust settings apart from certificates: `add-trusted-cert -d` imports the root into the
 * System keychain and marks it trusted for SSL; removal drops the trust setting, then the certificate
 * (found by its SHA-1, the only hash `security delete-certificate -Z` takes).
 */
async function macosStep(ctx: Context, action: 'add' | 'remove'): Promise<TrustStep> {
  const step = (status: TrustStep['status'], message: string): TrustStep => ({
    store: 'macos',
    target: MACOS_KEYCHAIN,
    status,
    message,
  })
  const security = await findCommand('security', ctx.pathEnv, ctx.options.commands?.security)
  if (!security) return step('failed', 'cannot find /usr/bin/security')
  const verb = action === 'add' ? 'add to' : 'remove from'
  if (ctx.options.dryRun) return step('dry-run', `would ${verb} ${MACOS_KEYCHAIN}`)
  if (action === 'add') {
    const args = ['add-trusted-cert', '-d', '-r', 'trustRoot', '-k', MACOS_KEYCHAIN, ctx.rootFile]
    const result = await runCommand(security, args, signalOf(ctx))
    return result.code === 0
      ? step('done', `added to ${MACOS_KEYCHAIN} as trusted for SSL`)
      : step('failed', `security add-trusted-cert failed: ${lastLine(result)}; run it with sudo`)
  }
  await runCommand(security, ['remove-trusted-cert', '-d', ctx.rootFile], signalOf(ctx))
  const args = ['delete-certificate', '-Z', ctx.sha1.toUpperCase(), MACOS_KEYCHAIN]
  const result = await runCommand(security, args, signalOf(ctx))
  return result.code === 0
    ? step('done', `removed from ${MACOS_KEYCHAIN}`)
    : step('skipped', `not removed from ${MACOS_KEYCHAIN}: ${lastLine(result)}`)
}

async function nssSteps(ctx: Context, action: 'add' | 'remove'): Promise<TrustStep[]> {
  const home = ctx.options.home ?? homedir()
  const dirs = [...new Set([...(ctx.options.nssDatabases ?? []), ...findNssDatabases(home)])]
  if (dirs.length === 0) {
    return [
      {
        store: 'nss',
        target: home,
        status: 'skipped',
        message: `no NSS databases (Chromium ~/.pki/nssdb, Firefox profiles) under ${home}`,
      },
    ]
  }
  const certutil = await findCommand('certutil', ctx.pathEnv, ctx.options.commands?.certutil)
  const steps: TrustStep[] = []
  for (const dir of dirs) {
    throwIfAborted(ctx.options.signal)
    if (!certutil) {
      steps.push({ store: 'nss', target: `sql:${dir}`, status: 'skipped', message: CERTUTIL_HINT })
      continue
    }
    const change = {
      certutil,
      dir,
      nickname: ctx.id,
      rootFile: ctx.rootFile,
      dryRun: ctx.options.dryRun ?? false,
      ...signalOf(ctx),
    }
    steps.push(action === 'add' ? await addToNss(change) : await removeFromNss(change))
  }
  return steps
}

function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  return err instanceof Error ? err.message : String(err)
}

function signalOf(ctx: Context): { signal?: AbortSignal } {
  return ctx.options.signal ? { signal: ctx.options.signal } : {}
}
