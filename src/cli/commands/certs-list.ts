import { join } from 'node:path'
import {
  fileInventory,
  folderInventory,
  storedInventory,
} from '../../manager/certificate-inventory.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs, type ParsedArgs } from '../args.js'
import { COMMON_FLAGS, commonContext, str, type Io } from '../context.js'
import { renewalText } from '../renewal-text.js'
import { formatTable, shortDate } from '../table.js'

const FLAGS: FlagSpecs = {
  'cert-dir': {
    type: 'string',
    value: 'DIR',
    help: 'the certificate folder to list too (default <home>/certificates)',
  },
  'tls-cert': {
    type: 'string',
    value: 'FILE',
    multiple: true,
    help: 'an explicit certificate file to list too (with --tls-key, in the same order)',
  },
  'tls-key': { type: 'string', value: 'FILE', multiple: true, help: 'the key of --tls-cert' },
  ...COMMON_FLAGS,
}

const HELP = `usage: gatehouse certs list [options]

Lists every certificate Gatehouse would serve: those obtained from ACME CAs and the local CA (stored in
the home folder), those in the certificate folder, and explicit files given with --tls-cert/--tls-key.
For each: names, issuer, source, expiry, the next renewal and why (the CA's ARI window or a fraction
of the lifetime), and the last error. With --acme-directory, ACME certificates of that CA only.

options:
${formatFlags(FLAGS)}
`

export async function certsList(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  if (args.positionals.length > 0)
    throw new UsageError(`certs list takes no names (got ${args.positionals.join(' ')})`)
  const common = commonContext(args, io)
  const onlyCa = args.sources.has('acme-directory') ? common.directoryUrl : undefined
  const stored = (await storedInventory(common.storage)).filter(
    (e) => onlyCa === undefined || e.source !== 'acme' || e.location === onlyCa,
  )
  const certs = [
    ...(await fileInventory(filePairs(args))),
    ...(await folderInventory(str(args, 'cert-dir') ?? join(common.home, 'certificates'))),
    ...stored,
  ]
  if (common.json) {
    io.stdout.write(`${JSON.stringify({ ok: true, home: common.home, certificates: certs })}\n`)
    return 0
  }
  if (certs.length === 0) {
    io.stdout.write(`no certificates in ${common.home}\n`)
    return 0
  }
  const now = new Date()
  io.stdout.write(
    formatTable(
      ['NAMES', 'SOURCE', 'ISSUER', 'NOT AFTER', 'NEXT RENEWAL', 'LAST ERROR'],
      certs.map((c) => [
        c.names.join(',') || c.name,
        c.source,
        c.issuer ?? '-',
        c.notAfter ? `${shortDate(c.notAfter)}${c.notAfter < now ? ' (expired)' : ''}` : '-',
        renewalText(c),
        c.lastError
          ? `${c.lastError.at ? `${shortDate(c.lastError.at)} ` : ''}${c.lastError.message}`
          : '-',
      ]),
    ),
  )
  return 0
}

function filePairs(args: ParsedArgs): { cert: string; key: string }[] {
  const certs = (args.flags.get('tls-cert') as string[] | undefined) ?? []
  const keys = (args.flags.get('tls-key') as string[] | undefined) ?? []
  if (certs.length !== keys.length) {
    throw new UsageError(
      `give one --tls-key per --tls-cert (${certs.length} certificates, ${keys.length} keys)`,
    )
  }
  return certs.map((cert, i) => ({ cert, key: keys[i] ?? '' }))
}
