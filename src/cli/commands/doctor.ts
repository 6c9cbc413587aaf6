import type { CheckResult } from '../../doctor/check-result.js'
import { createDnsClient } from '../../doctor/dns-checks.js'
import { runDoctor } from '../../doctor/run-doctor.js'
import { parseIdentifier } from '../../issuance/identifiers.js'
import { formatFlags, parseArgs, UsageError, type FlagSpecs } from '../args.js'
import { COMMON_FLAGS, commonContext, str, type Io } from '../context.js'
import { findRunningServer } from '../server-pid.js'
import { listenAddress } from '../solver-flags.js'

const FLAGS: FlagSpecs = {
  'dns-resolver': {
    type: 'string',
    value: 'HOST:PORT',
    help: 'the DNS server to ask (default: the system resolver)',
  },
  'caa-identity': {
    type: 'string',
    value: 'NAME',
    multiple: true,
    help: "the CA's name in CAA records (default: the directory's caaIdentities, letsencrypt.org)",
  },
  'http-port': {
    type: 'string',
    value: '[HOST:]PORT',
    help: 'the HTTP listener to check (default 0.0.0.0:80)',
  },
  'https-port': {
    type: 'string',
    value: '[HOST:]PORT',
    help: 'the HTTPS listener to check (default 0.0.0.0:443)',
  },
  ...COMMON_FLAGS,
}

const HELP = `usage: gatehouse doctor NAME [options]

Checks what stands between this machine and a certificate for NAME, one line per check with ok, warn
or fail and what to fix: the home folder is writable; the ACME directory answers (with --acme-ca-cert)
and this clock agrees with its Date header; NAME has A/AAAA records; CAA (RFC 8659) lets the CA
issue; the HTTP and HTTPS ports can be bound. Exits 0 when nothing failed, 1 otherwise.

options:
${formatFlags(FLAGS)}
`

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'fail' } as const

export async function doctor(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  if (args.positionals.length !== 1)
    throw new UsageError('give the one name (or IP address) a certificate is wanted for')
  const name = parseIdentifier(args.positionals[0] ?? '').value
  const common = commonContext(args, io)
  const server = await findRunningServer(common.home)
  const results = await runDoctor({
    name,
    home: common.home,
    directoryUrl: common.directoryUrl,
    caCerts: common.caCerts,
    dns: createDnsClient(str(args, 'dns-resolver')),
    ports: [
      listenAddress(str(args, 'http-port'), 80, '--http-port'),
      listenAddress(str(args, 'https-port'), 443, '--https-port'),
    ],
    caaIdentities: (args.flags.get('caa-identity') as string[] | undefined) ?? [],
    ...(server.status === 'running' ? { serverPid: server.pid } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  })
  const failed = results.some((r) => r.status === 'fail')
  if (common.json) {
    io.stdout.write(`${JSON.stringify({ ok: !failed, name, checks: results })}\n`)
  } else {
    const width = Math.max(...results.map((r) => r.check.length))
    for (const r of results) io.stdout.write(`${formatLine(r, width)}\n`)
  }
  return failed ? 1 : 0
}

/** `fail  port 80   cannot bind 0.0.0.0:80: permission denied; fix: …` */
function formatLine(r: CheckResult, width: number): string {
  return `${MARK[r.status]}  ${r.check.padEnd(width)}  ${r.message}${r.fix ? `; fix: ${r.fix}` : ''}`
}
