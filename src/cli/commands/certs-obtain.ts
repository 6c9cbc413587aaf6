import { performance } from 'node:perf_hooks'
import { KEY_TYPES, parseKeyType } from '../../crypto/keys.js'
import { GatehouseError } from '../../errors.js'
import type { ChallengeSolver } from '../../issuance/challenge-solver.js'
import { Dns01Solver } from '../../issuance/dns-01-solver.js'
import { ExecDnsProvider } from '../../issuance/dns/exec-provider.js'
import { parseHostPort } from '../../issuance/dns/host-port.js'
import { Rfc2136DnsProvider } from '../../issuance/dns/rfc2136-provider.js'
import type { TsigAlgorithm } from '../../issuance/dns/tsig.js'
import { Http01StandaloneSolver } from '../../issuance/http-01-solver.js'
import { parseIdentifiers } from '../../issuance/identifiers.js'
import { checkSolvable } from '../../issuance/check-solvable.js'
import type { ObtainProgress } from '../../issuance/obtain.js'
import { TlsAlpn01StandaloneSolver } from '../../issuance/tls-alpn-01-solver.js'
import { loadOrCreateAccount } from '../../manager/account-store.js'
import { exportCertificate } from '../../manager/export-certificate.js'
import { issueCertificate } from '../../manager/issue-certificate.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs, type ParsedArgs } from '../args.js'
import { COMMON_FLAGS, commonContext, num, str, type Io } from '../context.js'
import { progressPrinter } from '../progress.js'

const FLAGS: FlagSpecs = {
  challenge: {
    type: 'string',
    value: 'TYPE',
    choices: ['http-01', 'tls-alpn-01', 'dns-01'],
    help: 'challenge to answer (default http-01)',
  },
  'http-port': {
    type: 'string',
    value: '[HOST:]PORT',
    help: 'where the HTTP-01 listener binds (default 0.0.0.0:80)',
  },
  'tls-port': {
    type: 'string',
    value: '[HOST:]PORT',
    help: 'where the TLS-ALPN-01 listener binds (default 0.0.0.0:443)',
  },
  'dns-provider': {
    type: 'string',
    value: 'NAME',
    choices: ['exec', 'rfc2136'],
    help: 'how DNS-01 records are created',
  },
  'dns-exec': {
    type: 'string',
    value: 'CMD',
    help: 'exec provider: program run as `CMD present|cleanup FQDN VALUE` (lego exec contract)',
  },
  'dns-server': {
    type: 'string',
    value: 'HOST:PORT',
    help: 'rfc2136 provider: the primary server taking updates',
  },
  'dns-zone': {
    type: 'string',
    value: 'ZONE',
    help: 'rfc2136 provider: the zone (default: found by SOA lookup)',
  },
  'dns-tsig-name': { type: 'string', value: 'NAME', help: 'rfc2136 provider: TSIG key name' },
  'dns-tsig-secret': { type: 'string', value: 'BASE64', help: 'rfc2136 provider: TSIG secret' },
  'dns-tsig-algorithm': {
    type: 'string',
    value: 'ALG',
    choices: ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'],
    help: 'rfc2136 provider: TSIG algorithm (default hmac-sha256)',
  },
  'dns-resolver': {
    type: 'string',
    value: 'HOST:PORT',
    help: 'resolver asked for the propagation check (default: the system resolver)',
  },
  'dns-propagation-check': {
    type: 'boolean',
    help: 'wait until the TXT record is visible before asking the CA (default true; --no-dns-propagation-check)',
  },
  'dns-propagation-timeout': {
    type: 'number',
    value: 'SECONDS',
    help: 'give up the propagation check after this long (default 120)',
  },
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

function buildSolvers(args: ParsedArgs): ChallengeSolver[] {
  const challenge = str(args, 'challenge') ?? 'http-01'
  if (challenge === 'http-01') {
    const { host, port } = listenAddress(str(args, 'http-port'), 80, '--http-port')
    return [new Http01StandaloneSolver({ host, port })]
  }
  if (challenge === 'tls-alpn-01') {
    const { host, port } = listenAddress(str(args, 'tls-port'), 443, '--tls-port')
    return [new TlsAlpn01StandaloneSolver({ host, port })]
  }
  const provider = dnsProvider(args)
  const timeout = num(args, 'dns-propagation-timeout')
  const resolver = str(args, 'dns-resolver')
  return [
    new Dns01Solver({
      provider,
      propagation:
        args.flags.get('dns-propagation-check') === false
          ? false
          : {
              ...(resolver ? { resolver } : {}),
              ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
            },
    }),
  ]
}

function dnsProvider(args: ParsedArgs): ExecDnsProvider | Rfc2136DnsProvider {
  const name = str(args, 'dns-provider')
  if (name === 'exec') {
    const command = str(args, 'dns-exec')
    if (!command) throw new UsageError('--dns-provider exec needs --dns-exec CMD')
    return new ExecDnsProvider({ command })
  }
  if (name === 'rfc2136') {
    const server = str(args, 'dns-server')
    if (!server) throw new UsageError('--dns-provider rfc2136 needs --dns-server HOST:PORT')
    parseHostPort(server)
    const tsigName = str(args, 'dns-tsig-name')
    const secret = str(args, 'dns-tsig-secret')
    if ((tsigName === undefined) !== (secret === undefined))
      throw new UsageError('give --dns-tsig-name and --dns-tsig-secret together')
    const zone = str(args, 'dns-zone')
    const algorithm = str(args, 'dns-tsig-algorithm') as TsigAlgorithm | undefined
    return new Rfc2136DnsProvider({
      server,
      ...(zone ? { zone } : {}),
      ...(tsigName && secret
        ? { tsig: { name: tsigName, secret, ...(algorithm ? { algorithm } : {}) } }
        : {}),
    })
  }
  throw new UsageError('--challenge dns-01 needs --dns-provider exec or rfc2136')
}

/** `8080` → 0.0.0.0:8080; `127.0.0.1:8080`, `[::1]:8080`. */
export function listenAddress(
  value: string | undefined,
  defaultPort: number,
  flag: string,
): { host: string; port: number } {
  if (value === undefined) return { host: '0.0.0.0', port: defaultPort }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value)
  const port = Number(m?.[3])
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `${flag} ${JSON.stringify(value)} is not PORT or HOST:PORT with a port from 0 to 65535`,
    )
  }
  return { host: m[1] || m[2] || '0.0.0.0', port }
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
