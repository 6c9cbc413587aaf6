import { LocalCa, ROOT_CERT_KEY } from '../../local-ca/local-ca.js'
import { untrust } from '../../local-ca/trust-store.js'
import { formatFlags } from '../args.js'
import type { Io } from '../context.js'
import { runTrustCommand, TRUST_FLAGS } from './ca-trust.js'

const HELP = `usage: gatehouse ca untrust [options]

Removes the local development CA's root (HOME/${ROOT_CERT_KEY}) from the system trust store and the
NSS databases that \`gatehouse ca trust\` added it to. The CA itself stays in the home folder.

options:
${formatFlags(TRUST_FLAGS)}
`

export async function caUntrust(argv: string[], io: Io): Promise<number> {
  return runTrustCommand(argv, io, {
    name: 'ca untrust',
    help: HELP,
    // Opened, never created: untrusting must not leave a new CA behind.
    openCa: (storage, options) => LocalCa.open(storage, options),
    change: untrust,
  })
}
