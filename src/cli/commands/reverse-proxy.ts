import { availableParallelism, homedir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../config/config-error.js'
import { resolveConfig } from '../../config/resolve-config.js'
import type { GatehouseConfig } from '../../config/types.js'
import { createGateway } from '../../proxy/gateway.js'
import { runGatehouse } from '../../serve/run-gatehouse.js'
import {
  formatFlags,
  parseArgs,
  pickFlags,
  UsageError,
  type FlagSpecs,
  type ParsedArgs,
} from '../args.js'
import { reportConfigError } from '../config-flags.js'
import { COMMON_FLAGS, str, type Io } from '../context.js'

const FLAGS: FlagSpecs = {
  from: {
    type: 'string',
    value: 'HOST[:PORT]',
    help: 'the name clients use (a certificate is obtained for it); PORT is the HTTPS port (default 443)',
  },
  to: {
    type: 'string',
    multiple: true,
    value: 'UPSTREAM',
    help: 'host:port or http(s)://host:port of the app; repeat for several (round robin)',
  },
  ...pickFlags(COMMON_FLAGS, ['home', 'acme-directory', 'acme-ca-cert', 'email']),
  'http-port': {
    type: 'string',
    value: 'PORT',
    help: 'HTTP listener, redirecting to HTTPS (default 80; -1 off)',
  },
  'https-port': {
    type: 'string',
    value: 'PORT',
    help: 'HTTPS listener (default 443, or the port of --from)',
  },
  'tls-cert': {
    type: 'string',
    value: 'FILE',
    help: 'serve this certificate (with --tls-key) instead of obtaining one',
  },
  'tls-key': { type: 'string', value: 'FILE', help: 'the private key of --tls-cert' },
  'max-body': {
    type: 'string',
    value: 'SIZE',
    help: 'largest request body, e.g. 110MB (413 above; default 10MiB)',
  },
  'header-up': {
    type: 'string',
    multiple: true,
    value: '"+NAME VALUE"|"-NAME"',
    help: 'set or remove a header on requests to the upstream',
  },
  'header-down': {
    type: 'string',
    multiple: true,
    value: '"+NAME VALUE"|"-NAME"',
    help: 'set or remove a header on responses to the client',
  },
  'access-log': { type: 'string', value: 'stdout|off|FILE', help: 'access log (default stdout)' },
  debug: { type: 'boolean', help: 'print stack traces' },
  help: { type: 'boolean', help: 'show this help' },
}

const HELP = `usage: gatehouse reverse-proxy --from HOST[:PORT] --to UPSTREAM [--to UPSTREAM...] [options]

Runs a reverse proxy with automatic HTTPS in one line, as \`caddy reverse-proxy\` does: a certificate
for HOST (ACME, or the local CA for localhost and *.test names), HTTPS on PORT (default 443), HTTP
redirected, WebSockets forwarded. Reload and drain as \`gatehouse serve\`.

options:
${formatFlags(FLAGS)}
`

/** Flags that are settings of the configuration, by setting key. */
const SETTING_FLAGS: Record<string, string> = {
  home: 'home',
  'acme-directory': 'tls.acme_directory',
  'acme-ca-cert': 'tls.acme_ca_cert',
  email: 'tls.email',
  'http-port': 'http.port',
  'https-port': 'https.port',
  'access-log': 'log.access_log',
}

export async function reverseProxy(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const load = async (): Promise<GatehouseConfig> => reverseProxyConfig(args, io)
  try {
    await load()
    return await runGatehouse({
      load,
      createGateway,
      stop: io.signal ?? new AbortController().signal,
      logWrite: (line) => void io.stderr.write(line),
      stdout: io.stdout,
    })
  } catch (err) {
    if (err instanceof ConfigError) return reportConfigError(err, 'reverse-proxy', io, false)
    throw err
  }
}

/**
 * The flags as a one-site configuration, resolved by the config layer like a gatehouse.toml, so
 * defaults, validation and `GATEHOUSE_*` environment are the same as for `serve`.
 */
export function reverseProxyConfig(args: ParsedArgs, io: Io): GatehouseConfig {
  const from = str(args, 'from')
  const to = (args.flags.get('to') as string[] | undefined) ?? []
  if (from === undefined) throw new UsageError('give --from HOST[:PORT], the name clients use')
  if (to.length === 0) throw new UsageError('give --to UPSTREAM (host:port or URL) at least once')
  const m = /^([^:[\]]+)(?::(\d+))?$/.exec(from)
  if (!m) throw new UsageError(`--from ${JSON.stringify(from)} is not HOST or HOST:PORT`)
  const [, host = '', port] = m
  const cert = str(args, 'tls-cert')
  const key = str(args, 'tls-key')
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('give --tls-cert and --tls-key together')
  const q = (s: string): string => JSON.stringify(s)
  const list = (name: string): string =>
    `[${((args.flags.get(name) as string[] | undefined) ?? []).map(q).join(', ')}]`
  const maxBody = str(args, 'max-body')
  const text = [
    ...(cert && key ? ['[[tls.files]]', `cert = ${q(cert)}`, `key = ${q(key)}`, ''] : []),
    '[[site]]',
    `hosts = [${q(host.toLowerCase())}]`,
    '[[site.route]]',
    'path = "/"',
    `proxy = [${to.map(q).join(', ')}]`,
    ...(maxBody ? [`max_body = ${q(maxBody)}`] : []),
    `header_up = ${list('header-up')}`,
    `header_down = ${list('header-down')}`,
    '',
  ].join('\n')
  const flags = new Map<string, string | boolean>()
  for (const [flag, setting] of Object.entries(SETTING_FLAGS)) {
    const value = str(args, flag)
    if (value !== undefined && args.sources.get(flag) === 'flag') flags.set(setting, value)
  }
  if (port !== undefined && !flags.has('https.port')) flags.set('https.port', port)
  const cwd = process.cwd()
  try {
    const config: GatehouseConfig = {
      ...resolveConfig({
        file: { name: SYNTHETIC, path: join(cwd, 'reverse-proxy.toml'), text },
        env: io.env,
        flags,
        cwd,
        userHome: io.env.HOME || homedir(),
        cpus: availableParallelism(),
        embedded: false,
      }).config,
    }
    // No file: the text was built from the flags (`file` would name a reverse-proxy.toml that is not there).
    delete config.file
    return config
  } catch (err) {
    throw err instanceof ConfigError && err.file === SYNTHETIC ? asFlagError(err) : err
  }
}

/** Name of the configuration text built from the flags, in the config layer's errors. */
const SYNTHETIC = 'reverse-proxy flags'

/** The flag behind a key of the built configuration. */
const FLAG_OF_KEY: readonly (readonly [RegExp, string])[] = [
  [/max_body$/, '--max-body'],
  [/header_up/, '--header-up'],
  [/header_down/, '--header-down'],
  [/proxy/, '--to'],
  [/hosts/, '--from'],
  [/tls\.files/, '--tls-cert/--tls-key'],
]

/** A config error about the text built from the flags, told in terms of the flag the user gave. */
function asFlagError(err: ConfigError): UsageError {
  const flag = FLAG_OF_KEY.find(([re]) => re.test(err.key ?? ''))?.[1] ?? 'a flag'
  const detail = err.message.replace(new RegExp(`^.*? at ${SYNTHETIC}:\\d+: `), '')
  return new UsageError(`${flag}: ${detail}`)
}
