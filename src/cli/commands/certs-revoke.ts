import { revokeStoredCertificate, REVOCATION_REASONS } from '../../manager/revoke-certificate.js'
import { loadOrCreateAccount } from '../../manager/account-store.js'
import { parseIdentifier } from '../../issuance/identifiers.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs } from '../args.js'
import { COMMON_FLAGS, commonContext, str, type Io } from '../context.js'

const FLAGS: FlagSpecs = {
  reason: {
    type: 'string',
    value: 'REASON',
    choices: Object.keys(REVOCATION_REASONS),
    help: 'RFC 5280 reason (default unspecified)',
  },
  ...COMMON_FLAGS,
}

const HELP = `usage: gatehouse certs revoke NAME [options]

Revokes the stored certificate named NAME (its first name, as \`certs list\` shows it), signing with the
ACME account key.

options:
${formatFlags(FLAGS)}
`

export async function certsRevoke(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  if (args.positionals.length !== 1)
    throw new UsageError('give exactly one certificate name to revoke')
  const common = commonContext(args, io)
  const name = parseIdentifier(args.positionals[0] ?? '').value
  const reasonName = str(args, 'reason') ?? 'unspecified'
  const client = await loadOrCreateAccount({
    storage: common.storage,
    directoryUrl: common.directoryUrl,
    ...(common.email ? { email: common.email } : {}),
    caCerts: common.caCerts,
    ...(io.signal ? { signal: io.signal } : {}),
  })
  const meta = await revokeStoredCertificate(
    common.storage,
    client,
    common.directoryUrl,
    name,
    reasonName,
    io.signal,
  )
  if (common.json) io.stdout.write(`${JSON.stringify({ ok: true, ...meta })}\n`)
  else io.stdout.write(`revoked ${name} (serial ${meta.serialHex}, reason ${reasonName})\n`)
  return 0
}
