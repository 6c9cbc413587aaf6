import { performance } from 'node:perf_hooks'
import { KEY_TYPES, parseKeyType } from '../../crypto/keys.js'
import { GatehouseError } from '../../errors.js'
import { parseIdentifiers } from '../../issuance/identifiers.js'
import { checkSolvable } from '../../issuance/check-solvable.js'
import type { ObtainProgress } from '../../issuance/obtain.js'
import { loadOrCreateAccount } from '../../manager/account-store.js'
import { exportCertificate } from '../../manager/export-certificate.js'
import { issueCertificate } from '../../manager/issue-certificate.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs, type ParsedArgs } from '../args.js'
import { COMMON_FLAGS, commonContext, str, type Io } from '../context.js'
import { buildSolvers, SOLVER_FLAGS } from '../solver-flags.js'

export { listenAddress } from '../solver-flags.js'
import { progressPrinter } from '../progress.js'

const FLAGS: FlagSpecs = {
  ...SOLVER_FLAGS,
  profile: {
    type: 'string',
    value: 'NAME',
    help: 'ACME profile to ask for (e.g. shortlived); the CA must offer it',
  },
  'key-type': {
    type: 'string',
    value: 'TYPE',
    choices: KEY_TYPES,
    help: 'certificate key type (default ec256)',
  },
  'preferred-chain': {
    type: 'string',
    value: 'NAME',
    help: 'pick the alternate chain whose top certificate is issued by this CA name',
  },
  'eab-kid': {
    type: 'string',
    value: 'ID',
    help: 'External Account Binding key ID (with --eab-hmac-key)',
  },
  'eab-hmac-key': {
    type: 'string',
    value: 'KEY',
    help: 'External Account Binding HMAC key, base64url',
  },
  export: {
    type: 'string',
    value: 'DIR',
    help: 'also write cert.pem, chain.pem, fullchain.pem, privkey.pem (0600) there',
  },
  ...COMMON_FLAGS,
}

const HELP = `usage: gatehouse certs obtain NAME_OR_IP... [options]

Obtains one certificate for all the names and IP addresses given, and stores it with its key under
the home folder (acme/<ca>/certificates/<first name>/).

options:
${formatFlags(FLAGS)}
`

export async function certsObtain(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  if (args.positionals.length === 0)
    throw new UsageError('give at least one name or IP address to put in the certificate')
  const common = commonContext(args, io)
  const identifiers = parseIdentifiers(args.positionals)
  const keyType = parseKeyType(str(args, 'key-type') ?? 'ec256')
  const solvers = buildSolvers(args)
  checkSolvable(identifiers, solvers)
  const eab = eabOf(args)
  const signal = io.signal
  const printer = progressPrinter(io, common.json)

  let started = performance.now()
  const client = await loadOrCreateAccount({
    storage: common.storage,
    directoryUrl: common.directoryUrl,
    ...(common.email ? { email: common.email } : {}),
    ...(eab ? { eab } : {}),
    caCerts: common.caCerts,
    ...(signal ? { signal } : {}),
  })
  printer.line('account', performance.now() - started, client.accountUrl ?? '')
  started = performance.now()
  const stored = await issueCertificate(identifiers, {
    storage: common.storage,
    client,
    directoryUrl: common.directoryUrl,
    solvers,
    keyType,
    ...(str(args, 'profile') ? { profile: str(args, 'profile') as string } : {}),
    ...(str(args, 'preferred-chain')
      ? { preferredChain: str(args, 'preferred-chain') as string }
      : {}),
    ...(signal ? { signal } : {}),
    onProgress: (e: ObtainProgress) => printer.progress(e),
  }).finally(() => client.close())
  const exportDir = str(args, 'export')
  const exported = exportDir
    ? await exportCertificate(exportDir, stored.certificatePem, stored.privateKeyPem)
    : undefined
  const total = performance.now() - started
  if (common.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, ...stored.meta, files: { certificate: `${common.home}/${stored.keys.cert}`, key: `${common.home}/${stored.keys.key}` }, ...(exported ? { exported } : {}), ms: Math.round(total) })}\n`,
    )
  } else {
    io.stdout.write(
      `certificate for ${stored.meta.identifiers.map((i) => i.value).join(', ')}\n` +
        `  issuer     ${stored.meta.issuer ?? '?'}\n  not after  ${stored.meta.notAfter}\n` +
        `  saved in   ${common.home}/${stored.keys.dir}/\n` +
        (exported ? `  exported   ${Object.values(exported).join(', ')}\n` : ''),
    )
  }
  return 0
}

function eabOf(args: ParsedArgs): { kid: string; hmacKey: string } | undefined {
  const kid = str(args, 'eab-kid')
  const hmacKey = str(args, 'eab-hmac-key')
  if (kid === undefined && hmacKey === undefined) return undefined
  if (!kid || !hmacKey) throw new UsageError('give --eab-kid and --eab-hmac-key together')
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(hmacKey)) {
    throw new GatehouseError('ERR_CONFIG', '--eab-hmac-key must be base64url, as the CA gave it')
  }
  return { kid, hmacKey }
}
