import { LocalCa, ROOT_CERT_KEY } from '../../local-ca/local-ca.js'
import { untrust } from '../../local-ca/trust-store.js'
import { formatFlags, parseArgs } from '../args.js'
import { commonContext, type Io } from '../context.js'
import { reportSteps, TRUST_FLAGS, trustOptions } from './ca-trust.js'

const HELP = `usage: gatehouse ca untrust [options]

Removes the local development CA's root (HOME/${ROOT_CERT_KEY}) from the system trust store and the
NSS databases that \`gatehouse ca trust\` added it to. The CA itself stays in the home folder.

options:
${formatFlags(TRUST_FLAGS)}
`

export async function caUntrust(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, TRUST_FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const common = commonContext(args, io)
  const ca = await LocalCa.open(common.storage, io.signal ? { signal: io.signal } : {})
  if (!ca) {
    if (common.json) io.stdout.write(`${JSON.stringify({ ok: true, root: null, steps: [] })}\n`)
    else io.stdout.write(`no local CA in ${common.home}; nothing to remove\n`)
    return 0
  }
  const steps = await untrust(ca.rootCertificatePem, trustOptions(args, io))
  return reportSteps(io, {
    command: 'ca untrust',
    home: common.home,
    json: common.json,
    name: ca.name,
    steps,
  })
}
