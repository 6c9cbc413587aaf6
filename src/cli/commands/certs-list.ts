import { listCertificates } from '../../manager/certificate-store.js'
import { formatFlags, parseArgs, type FlagSpecs } from '../args.js'
import { COMMON_FLAGS, commonContext, type Io } from '../context.js'

const FLAGS: FlagSpecs = { ...COMMON_FLAGS }

const HELP = `usage: gatehouse certs list [options]

Lists the certificates obtained from the ACME CA (--acme-directory) that are stored in the home folder.

options:
${formatFlags(FLAGS)}
`

export async function certsList(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const common = commonContext(args, io)
  const certs = await listCertificates(common.storage, common.directoryUrl)
  if (common.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, directoryUrl: common.directoryUrl, certificates: certs })}\n`,
    )
    return 0
  }
  if (certs.length === 0) {
    io.stdout.write(`no certificates from ${common.directoryUrl} in ${common.home}\n`)
    return 0
  }
  for (const c of certs) {
    const state = c.revoked ? `revoked ${c.revoked.at}` : `not after ${c.notAfter}`
    io.stdout.write(
      `${c.name}\n  names   ${c.identifiers.map((i) => i.value).join(', ')}\n  issuer  ${c.issuer ?? '?'}\n  ${state}\n`,
    )
  }
  return 0
}
