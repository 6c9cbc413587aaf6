import { GatehouseError } from '../errors.js'
import { VERSION } from '../version.js'
import { suggest, UsageError } from './args.js'
import type { Io } from './context.js'

export type { Io } from './context.js'

type Command = (argv: string[], io: Io) => Promise<number>

/**
 * A command's module is imported when it runs, so `--help` and each command load only what they use
 * (undici, @peculiar/x509 and smol-toml cost ~0.2 s of CPU each at start-up).
 */
function lazy<K extends string>(load: () => Promise<Record<K, Command>>, name: K): Command {
  return async (argv, io) => (await load())[name](argv, io)
}

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  'certs obtain': {
    run: lazy(() => import('./commands/certs-obtain.js'), 'certsObtain'),
    summary: 'obtain a certificate from an ACME CA (like certbot certonly / lego run)',
  },
  'certs list': {
    run: lazy(() => import('./commands/certs-list.js'), 'certsList'),
    summary: 'list every certificate: source, expiry, next renewal and why, last error',
  },
  'certs renew': {
    run: lazy(() => import('./commands/certs-renew.js'), 'certsRenew'),
    summary:
      'renew the stored certificates that are due (or --force), then reload a running server',
  },
  'certs revoke': {
    run: lazy(() => import('./commands/certs-revoke.js'), 'certsRevoke'),
    summary: 'revoke a certificate',
  },
  'ca trust': {
    run: lazy(() => import('./commands/ca-trust.js'), 'caTrust'),
    summary: 'add the local development CA to the system and browser trust stores',
  },
  'ca untrust': {
    run: lazy(() => import('./commands/ca-untrust.js'), 'caUntrust'),
    summary: 'remove the local development CA from the trust stores',
  },
  'ca issue': {
    run: lazy(() => import('./commands/ca-issue.js'), 'caIssue'),
    summary: 'issue a certificate for localhost, *.localhost or *.test (like mkcert)',
  },
  csr: {
    run: lazy(() => import('./commands/csr.js'), 'csr'),
    summary: 'write a private key and a CSR for a CA that has no ACME',
  },
  validate: {
    run: lazy(() => import('./commands/validate.js'), 'validate'),
    summary: 'check gatehouse.toml: "ok", or the file, line and key at fault',
  },
  config: {
    run: lazy(() => import('./commands/config.js'), 'config'),
    summary: 'print the resolved configuration and where each value came from',
  },
  serve: {
    run: lazy(() => import('./commands/serve.js'), 'serve'),
    summary: 'run the sites of gatehouse.toml (no file: https://localhost:8443)',
  },
  reload: {
    run: lazy(() => import('./commands/reload.js'), 'reload'),
    summary: 'make the running gatehouse serve re-read its configuration',
  },
  'reverse-proxy': {
    run: lazy(() => import('./commands/reverse-proxy.js'), 'reverseProxy'),
    summary: 'HTTPS reverse proxy in one line: --from HOST --to 127.0.0.1:PORT',
  },
  doctor: {
    run: lazy(() => import('./commands/doctor.js'), 'doctor'),
    summary: 'check DNS, CAA, ports, home folder, ACME directory and clock for a name',
  },
  demo: {
    run: lazy(() => import('./commands/demo.js'), 'demo'),
    summary: 'start a local Pebble CA, obtain a certificate from it and serve it once',
  },
}

const USAGE = `gatehouse ${VERSION}: automatic HTTPS for Node.js

usage: gatehouse <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
  .join('\n')}

Run \`gatehouse <command> --help\` (or \`gatehouse help <command>\`) for a command's options, and
\`gatehouse --version\` (-V) for the version. Every option can also be set in the
environment as GATEHOUSE_<OPTION> (e.g. GATEHOUSE_HOME); flags win over the environment.
Exit status: 0 success, 1 failure, 2 usage error.
`

/** The CLI: parses argv, runs one command, returns the exit code. No business logic here. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [first, second] = argv
  // `gatehouse help certs renew` is `gatehouse certs renew --help`.
  if (first === 'help' && second !== undefined) return main([...argv.slice(1), '--help'], io)
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(USAGE)
    return first === undefined ? 2 : 0
  }
  if (first === '--version' || first === '-V' || first === '-v') {
    io.stdout.write(`${VERSION}\n`)
    return 0
  }
  const two = `${first} ${second ?? ''}`
  const command = COMMANDS[two] ? two : COMMANDS[first] ? first : undefined
  const debug = argv.includes('--debug') || /^(1|true)$/i.test(io.env.GATEHOUSE_DEBUG ?? '')
  if (!command && groupUsage(first, second, io)) return second === undefined ? 2 : 0
  if (!command) {
    const known = [
      ...new Set(
        Object.keys(COMMANDS).map((c) => (c.startsWith(first) ? c : (c.split(' ')[0] ?? c))),
      ),
    ]
    io.stderr.write(
      `gatehouse: unknown command ${JSON.stringify(argv.slice(0, 2).join(' '))}${suggest(two.trim(), Object.keys(COMMANDS), '') || suggest(first, Object.keys(COMMANDS), '')}\n`,
    )
    io.stderr.write(`commands: ${known.join(', ')}; see gatehouse --help\n`)
    return 2
  }
  const rest = argv.slice(command.split(' ').length)
  try {
    return await (COMMANDS[command]?.run ?? (async () => 2))(rest, io)
  } catch (err) {
    return reportError(err, command, io, debug)
  }
}

/** `gatehouse certs` or `gatehouse certs --help`: the group's commands. False when not a group. */
function groupUsage(group: string, second: string | undefined, io: Io): boolean {
  if (second !== undefined && second !== '--help' && second !== '-h') return false
  const members = Object.entries(COMMANDS).filter(([name]) => name.startsWith(`${group} `))
  if (members.length === 0) return false
  const lines = members.map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`).join('\n')
  const out = second === undefined ? io.stderr : io.stdout
  out.write(`usage: gatehouse ${group} <command> [options]\n\ncommands:\n${lines}\n`)
  return true
}

function reportError(err: unknown, command: string, io: Io, debug: boolean): number {
  if (err instanceof UsageError) {
    io.stderr.write(`gatehouse ${command}: ${err.message}\nsee gatehouse ${command} --help\n`)
    return 2
  }
  const message = err instanceof Error ? err.message : String(err)
  const code = err instanceof GatehouseError ? ` [${err.code}]` : ''
  io.stderr.write(`gatehouse ${command}: error: ${message.split('\n')[0]}${code}\n`)
  if (debug && err instanceof Error) {
    const cause =
      err.cause instanceof Error ? `cause: ${err.cause.stack ?? err.cause.message}\n` : ''
    io.stderr.write(`${err.stack ?? ''}\n${cause}`)
  }
  return 1
}
