import { resolve } from 'node:path'
import { KEY_TYPES, parseKeyType } from '../../crypto/keys.js'
import {
  DEFAULT_LEAF_VALIDITY_DAYS,
  LocalCa,
  MAX_LEAF_VALIDITY_DAYS,
  ROOT_CERT_KEY,
} from '../../local-ca/local-ca.js'
import { FileStorage } from '../../storage/file-storage.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs } from '../args.js'
import { commonContext, num, str, type Io } from '../context.js'
import { fileBaseName, LOCAL_COMMON_FLAGS } from './ca-shared.js'

const FLAGS: FlagSpecs = {
  out: {
    type: 'string',
    value: 'DIR',
    help: 'where NAME.crt (leaf + root) and NAME.key (0600) are written (default: the current folder)',
  },
  'key-type': {
    type: 'string',
    value: 'TYPE',
    choices: KEY_TYPES,
    help: 'certificate key type (default ec256)',
  },
  days: {
    type: 'number',
    value: 'DAYS',
    help: `validity in days, 1 to ${MAX_LEAF_VALIDITY_DAYS} (default ${DEFAULT_LEAF_VALIDITY_DAYS})`,
  },
  ...LOCAL_COMMON_FLAGS,
}

const HELP = `usage: gatehouse ca issue NAME... [options]

Issues a certificate from the local development CA (created on first use, HOME/${ROOT_CERT_KEY}) for
tools that need files, as mkcert does. Names must be localhost, *.localhost, *.test, 127.0.0.0/8 or
::1: the CA's root is constrained to them. Run \`gatehouse ca trust\` once so browsers accept it.

options:
${formatFlags(FLAGS)}
`

export async function caIssue(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  if (args.positionals.length === 0)
    throw new UsageError('give at least one name, such as localhost or app.test')
  const common = commonContext(args, io)
  const keyType = parseKeyType(str(args, 'key-type') ?? 'ec256')
  const days = num(args, 'days')
  const signal = io.signal
  const ca = await LocalCa.load(common.storage, signal ? { signal } : {})
  const issued = await ca.issue(args.positionals, {
    keyType,
    ...(days !== undefined ? { validityDays: days } : {}),
    ...(signal ? { signal } : {}),
  })
  const first = issued.identifiers[0]
  if (!first) throw new UsageError('give at least one name')
  const out = resolve(str(args, 'out') ?? process.cwd())
  const base = fileBaseName(first)
  // FileStorage writes each file atomically, so a server reloading mid-write never reads half a file.
  const files = new FileStorage({ root: out })
  await files.put(`${base}.key`, issued.privateKeyPem, {
    private: true,
    ...(signal ? { signal } : {}),
  })
  await files.put(`${base}.crt`, issued.leafPem + issued.chainPem, signal ? { signal } : {})
  const written = { certificate: `${out}/${base}.crt`, key: `${out}/${base}.key` }
  const root = `${common.home}/${ROOT_CERT_KEY}`
  if (common.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, names: issued.identifiers.map((i) => i.value), notAfter: issued.notAfter.toISOString(), files: written, root })}\n`,
    )
    return 0
  }
  io.stdout.write(
    `certificate for ${issued.identifiers.map((i) => i.value).join(', ')}\n` +
      `  certificate  ${written.certificate} (leaf + root)\n  key          ${written.key}\n` +
      `  not after    ${issued.notAfter.toISOString()}\n` +
      `  issuer       ${ca.name} (${root}; run \`gatehouse ca trust\` to trust it)\n`,
  )
  return 0
}
