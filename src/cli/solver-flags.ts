import type { ChallengeSolver } from '../issuance/challenge-solver.js'
import { Dns01Solver } from '../issuance/dns-01-solver.js'
import { ExecDnsProvider } from '../issuance/dns/exec-provider.js'
import { parseHostPort } from '../issuance/dns/host-port.js'
import { Rfc2136DnsProvider } from '../issuance/dns/rfc2136-provider.js'
import type { TsigAlgorithm } from '../issuance/dns/tsig.js'
import { Http01StandaloneSolver } from '../issuance/http-01-solver.js'
import { TlsAlpn01StandaloneSolver } from '../issuance/tls-alpn-01-solver.js'
import { UsageError, type FlagSpecs, type ParsedArgs } from './args.js'
import { num, str } from './context.js'

/** How challenges are answered by commands that obtain certificates (`certs obtain`, `certs renew`). */
export const SOLVER_FLAGS: FlagSpecs = {
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
}

/** The standalone or DNS-01 solver the flags ask for (HTTP-01 on port 80 by default). */
export function buildSolvers(args: ParsedArgs): ChallengeSolver[] {
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
