import type { AcmeClient } from '../../acme/client.js'
import { loadOrCreateAccount, soleAccountEmail } from '../../manager/account-store.js'
import type { RenewDueResult } from '../../manager/certificate-manager.js'
import { storedInventory, type InventoryEntry } from '../../manager/certificate-inventory.js'
import { optional } from '../../manager/served-certificate.js'
import { renewStored } from '../../manager/renew-stored.js'
import { formatFlags, parseArgs, type FlagSpecs } from '../args.js'
import { COMMON_FLAGS, commonContext, type CommonContext, type Io } from '../context.js'
import { reloadRunningServer, type ReloadOutcome } from '../server-pid.js'
import { buildSolvers, SOLVER_FLAGS } from '../solver-flags.js'
import { renewalText } from '../renewal-text.js'

const FLAGS: FlagSpecs = {
  force: { type: 'boolean', help: 'renew the certificates named (or all) even if not due' },
  ...SOLVER_FLAGS,
  ...COMMON_FLAGS,
}

const HELP = `usage: gatehouse certs renew [NAME...] [options]

Renews the stored certificates that are due, from the ACME CA (--acme-directory) and the local CA, as
a running server would: the CA's ARI window when it offers one (RFC 9773), else 2/3 of the lifetime,
and the old certificate named in \`replaces\`. With NAMEs, only the certificates covering them; with
--force, whether due or not. Each keeps its names, key type and profile. When something was renewed
and a server runs (<home>/gatehouse.pid), it is sent SIGHUP to load the new files. Safe to run from
cron: a certificate that is not due costs one renewalInfo request. A running \`gatehouse serve\`
renews its own certificates and holds ports 80 and 443: to renew from here meanwhile, use
--challenge dns-01.

options:
${formatFlags(FLAGS)}
`

export async function certsRenew(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const common = commonContext(args, io)
  const solvers = buildSolvers(args)
  let client: Promise<AcmeClient> | undefined
  const signIn = async (): Promise<AcmeClient> => {
    const email = common.email ?? (await soleAccountEmail(common.storage, common.directoryUrl))
    return loadOrCreateAccount({
      storage: common.storage,
      directoryUrl: common.directoryUrl,
      ...(email ? { email } : {}),
      caCerts: common.caCerts,
      ...(io.signal ? { signal: io.signal } : {}),
    })
  }
  let results: RenewDueResult[]
  try {
    results = await renewStored({
      storage: common.storage,
      directoryUrl: common.directoryUrl,
      client: () => (client ??= signIn()),
      solvers,
      names: args.positionals,
      force: args.flags.get('force') === true,
      ...(io.signal ? { signal: io.signal } : {}),
    })
  } finally {
    await client?.then((c) => c.close()).catch(() => {})
  }
  const issued = results.some((r) => ['obtained', 'renewed', 'adopted'].includes(r.outcome))
  const reload = issued ? await reloadRunningServer(common.home) : undefined
  // The next renewal as `certs list` shows it, from what is stored now.
  const listed = new Map((await storedInventory(common.storage)).map((e) => [e.name, e]))
  report(results, reload, { common, io, listed })
  return results.some((r) => r.outcome === 'failed') ? 1 : 0
}

function report(
  results: RenewDueResult[],
  reload: ReloadOutcome | undefined,
  { common, io, listed }: { common: CommonContext; io: Io; listed: Map<string, InventoryEntry> },
): void {
  if (common.json) {
    const failed = results.some((r) => r.outcome === 'failed')
    const out = results.map((r) => ({
      name: r.name,
      outcome: r.outcome,
      ...(r.status.serialHex ? { serialHex: r.status.serialHex } : {}),
      ...(r.status.notAfter ? { notAfter: r.status.notAfter } : {}),
      ...optional('nextRenewal', listed.get(r.name)?.nextRenewal),
      ...(r.replaces ? { replaces: r.replaces } : {}),
      ...(r.error ? { error: r.error.message } : {}),
    }))
    io.stdout.write(`${JSON.stringify({ ok: !failed, results: out, reload: reload ?? null })}\n`)
    return
  }
  if (results.length === 0) io.stdout.write(`no stored certificates in ${common.home}\n`)
  for (const r of results) {
    const entry = listed.get(r.name)
    io.stdout.write(`${line(r)}${entry ? `; next renewal ${renewalText(entry)}` : ''}\n`)
  }
  if (reload?.status === 'signalled')
    io.stdout.write(`sent SIGHUP to the running server (pid ${reload.pid}) to load them\n`)
  else if (reload?.status === 'stale' || reload?.status === 'failed')
    io.stderr.write(`gatehouse certs renew: warning: server not reloaded: ${reload.reason}\n`)
}

function line(r: RenewDueResult): string {
  switch (r.outcome) {
    case 'failed':
      return `failed    ${r.name}: ${r.error?.message.split('\n')[0] ?? 'unknown error'}`
    case 'not-due':
      return `not due   ${r.name}`
    case 'adopted':
      return `loaded    ${r.name}: renewed meanwhile by another process (serial ${r.status.serialHex ?? '?'})`
    default: {
      const replaces = r.replaces ? `, replaces ${r.replaces}` : ''
      return `${r.outcome.padEnd(9)} ${r.name} (serial ${r.status.serialHex ?? '?'}${replaces})`
    }
  }
}
