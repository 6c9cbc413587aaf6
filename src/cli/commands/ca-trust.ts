import { LocalCa, ROOT_CERT_KEY } from '../../local-ca/local-ca.js'
import { trust, type TrustStep, type TrustStoreOptions } from '../../local-ca/trust-store.js'
import { formatFlags, parseArgs, type FlagSpecs, type ParsedArgs } from '../args.js'
import { commonContext, type Io } from '../context.js'
import type { Storage } from '../../storage/storage.js'
import { formatSteps, LOCAL_COMMON_FLAGS } from './ca-shared.js'

/** Flags shared by `ca trust` and `ca untrust`. */
export const TRUST_FLAGS: FlagSpecs = {
  'nss-db': {
    type: 'string',
    multiple: true,
    value: 'DIR',
    help: 'an NSS database folder to use besides those found in the home folder (repeatable)',
  },
  system: {
    type: 'boolean',
    help: 'change the system trust store (default true; --no-system for browsers only)',
  },
  nss: {
    type: 'boolean',
    help: 'change NSS databases of Chromium and Firefox (default true; --no-nss)',
  },
  'dry-run': { type: 'boolean', help: 'print what would be done, change nothing' },
  ...LOCAL_COMMON_FLAGS,
}

const HELP = `usage: gatehouse ca trust [options]

Creates the local development CA on first use (HOME/${ROOT_CERT_KEY}), then adds its root to the system
trust store (Debian/Ubuntu, Fedora or macOS) and to the NSS databases of Chromium and Firefox when
certutil is installed. The root can only sign for localhost, *.localhost, *.test, 127.0.0.0/8 and ::1.
Changing the system store needs root (sudo).

options:
${formatFlags(TRUST_FLAGS)}
`

export async function caTrust(argv: string[], io: Io): Promise<number> {
  return runTrustCommand(argv, io, {
    name: 'ca trust',
    help: HELP,
    // The CA is created on first use: trusting it is how a developer starts.
    openCa: (storage, options) => LocalCa.load(storage, options),
    change: trust,
  })
}

/** What `ca trust` and `ca untrust` differ in. */
export interface TrustCommand {
  name: 'ca trust' | 'ca untrust'
  help: string
  /** The local CA whose root is changed; undefined when there is none (nothing to change). */
  openCa(storage: Storage, options: { signal?: AbortSignal }): Promise<LocalCa | undefined>
  /** Adds the root to the stores, or removes it. */
  change(rootPem: string, options: TrustStoreOptions): Promise<TrustStep[]>
}

/** Runs `ca trust` or `ca untrust`: the flags, the local CA, the change to the stores, the report. */
export async function runTrustCommand(
  argv: string[],
  io: Io,
  command: TrustCommand,
): Promise<number> {
  const args = parseArgs(argv, TRUST_FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(command.help)
    return 0
  }
  const common = commonContext(args, io)
  const ca = await command.openCa(common.storage, io.signal ? { signal: io.signal } : {})
  if (!ca) {
    if (common.json) io.stdout.write(`${JSON.stringify({ ok: true, root: null, steps: [] })}\n`)
    else io.stdout.write(`no local CA in ${common.home}; nothing to remove\n`)
    return 0
  }
  const steps = await command.change(ca.rootCertificatePem, trustOptions(args, io))
  return reportSteps(io, {
    command: command.name,
    home: common.home,
    json: common.json,
    name: ca.name,
    steps,
  })
}

/** The library options the trust flags stand for. */
export function trustOptions(args: ParsedArgs, io: Io): TrustStoreOptions {
  const nssDbs = args.flags.get('nss-db')
  return {
    ...(Array.isArray(nssDbs) ? { nssDatabases: nssDbs } : {}),
    ...(args.flags.get('system') === false ? { system: false } : {}),
    ...(args.flags.get('nss') === false ? { nss: false } : {}),
    ...(args.flags.get('dry-run') === true ? { dryRun: true } : {}),
    ...(io.env.HOME ? { home: io.env.HOME } : {}),
    ...(io.env.PATH !== undefined ? { pathEnv: io.env.PATH } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  }
}

/** Prints the steps (or one JSON object); exit 1 when any step failed. */
export function reportSteps(
  io: Io,
  report: {
    command: string
    home: string
    json: boolean
    name: string
    steps: readonly TrustStep[]
  },
): number {
  const { command, home, json, name, steps } = report
  const rootFile = `${home}/${ROOT_CERT_KEY}`
  const ok = steps.every((s) => s.status !== 'failed')
  if (json) io.stdout.write(`${JSON.stringify({ ok, root: rootFile, name, steps })}\n`)
  else io.stdout.write(`${name} (${rootFile})\n${formatSteps(steps)}`)
  if (steps.some((s) => s.status === 'failed' && s.message.includes('permission denied'))) {
    // Under plain `sudo` HOME becomes /root and a second CA would be created there; --home keeps this one.
    io.stderr.write(
      `the system trust store needs root: run sudo gatehouse ${command} --home ${home}\n`,
    )
  }
  return ok ? 0 : 1
}
