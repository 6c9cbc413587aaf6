import { ConfigError } from '../../config/config-error.js'
import { formatFlags } from '../args.js'
import {
  CONFIG_FLAGS,
  loadConfigFromArgs,
  parseConfigArgs,
  reportConfigError,
} from '../config-flags.js'
import type { Io } from '../context.js'

const HELP = `usage: gatehouse validate [--config FILE] [options]

Checks a configuration (./gatehouse.toml by default) with the environment and flags, as
\`gatehouse serve\` would read it. Prints "ok" and exits 0, or prints the first problem with its
file, line and key and exits 2.

options:
${formatFlags(CONFIG_FLAGS)}
`

export async function validate(argv: string[], io: Io): Promise<number> {
  const args = parseConfigArgs(argv, io)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const json = args.flags.get('json') === true
  try {
    const { config } = await loadConfigFromArgs(args, io)
    const routes = config.sites.reduce((n, s) => n + s.routes.length, 0)
    const what = config.file
      ? `${config.file}: ${plural(config.sites.length, 'site')}, ${plural(routes, 'route')}`
      : 'no configuration file: the embedded default'
    io.stdout.write(
      json ? `${JSON.stringify({ ok: true, file: config.file ?? null })}\n` : `ok (${what})\n`,
    )
    return 0
  } catch (err) {
    if (err instanceof ConfigError) return reportConfigError(err, 'validate', io, json)
    throw err
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
