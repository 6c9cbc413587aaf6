import type { ResolvedConfig } from '../../config/types.js'
import { formatFlags } from '../args.js'
import { CONFIG_FLAGS, runConfigCommand } from '../config-flags.js'
import type { Io } from '../context.js'

const HELP = `usage: gatehouse validate [--config FILE] [options]

Checks a configuration (./gatehouse.toml by default) with the environment and flags, as
\`gatehouse serve\` would read it. Prints "ok" and exits 0, or prints the first problem with its
file, line and key and exits 2.

options:
${formatFlags(CONFIG_FLAGS)}
`

export async function validate(argv: string[], io: Io): Promise<number> {
  return runConfigCommand(argv, io, { name: 'validate', help: HELP, report })
}

function report({ config }: ResolvedConfig, json: boolean): string {
  if (json) return `${JSON.stringify({ ok: true, file: config.file ?? null })}\n`
  const routes = config.sites.reduce((n, s) => n + s.routes.length, 0)
  const what = config.file
    ? `${config.file}: ${plural(config.sites.length, 'site')}, ${plural(routes, 'route')}`
    : 'no configuration file: the embedded default'
  return `ok (${what})\n`
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
