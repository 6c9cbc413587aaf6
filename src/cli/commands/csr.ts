import { resolve } from 'node:path'
import { createCsr } from '../../crypto/csr.js'
import { exportPrivateKeyPem, generateKey, KEY_TYPES, parseKeyType } from '../../crypto/keys.js'
import { derToPem } from '../../crypto/pem.js'
import { parseIdentifiers } from '../../issuance/identifiers.js'
import { FileStorage } from '../../storage/file-storage.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs } from '../args.js'
import { str, type Io } from '../context.js'
import { fileBaseName } from './ca-shared.js'

const FLAGS: FlagSpecs = {
  out: {
    type: 'string',
    value: 'DIR',
    help: 'where NAME.key (0600) and NAME.csr are written (required)',
  },
  'key-type': {
    type: 'string',
    value: 'TYPE',
    choices: KEY_TYPES,
    help: 'key type (default ec256)',
  },
  json: { type: 'boolean', help: 'print one JSON result on stdout' },
  debug: { type: 'boolean', help: 'print stack traces' },
  help: { type: 'boolean', help: 'show this help' },
}

const HELP = `usage: gatehouse csr NAME_OR_IP... --out DIR [options]

Writes a new private key and a PKCS#10 certificate signing request (RFC 2986) for the names, for a CA
that has no ACME. Every name goes into the subjectAltName; the first DNS name is also the CN.

options:
${formatFlags(FLAGS)}
`

export async function csr(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  if (args.positionals.length === 0)
    throw new UsageError('give at least one name or IP address to put in the request')
  const outFlag = str(args, 'out')
  if (outFlag === undefined) throw new UsageError('give --out DIR: where the key and CSR go')
  const identifiers = parseIdentifiers(args.positionals)
  const keyType = parseKeyType(str(args, 'key-type') ?? 'ec256')
  const signal = io.signal
  const key = await generateKey(keyType, signal ? { signal } : {})
  const csrPem = derToPem(await createCsr(identifiers, key), 'CERTIFICATE REQUEST')
  const out = resolve(outFlag)
  const base = fileBaseName(identifiers[0] ?? { type: 'dns', value: 'request' })
  const files = new FileStorage({ root: out })
  await files.put(`${base}.key`, exportPrivateKeyPem(key), {
    private: true,
    ...(signal ? { signal } : {}),
  })
  await files.put(`${base}.csr`, csrPem, signal ? { signal } : {})
  const written = { csr: `${out}/${base}.csr`, key: `${out}/${base}.key` }
  if (args.flags.get('json') === true) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, names: identifiers.map((i) => i.value), files: written })}\n`,
    )
  } else {
    io.stdout.write(
      `request for ${identifiers.map((i) => i.value).join(', ')}\n  csr  ${written.csr}\n  key  ${written.key}\n`,
    )
  }
  return 0
}
