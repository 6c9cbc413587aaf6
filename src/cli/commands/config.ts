import { configToJson, describeConfig } from '../../config/describe-config.js'
import { formatFlags } from '../args.js'
import { CONFIG_FLAGS, runConfigCommand } from '../config-flags.js'
import type { Io } from '../context.js'

const HELP = `usage: gatehouse config [--config FILE] [--json] [options]

Prints the configuration \`gatehouse serve\` would run with: defaults < ./gatehouse.toml (or --config)
< GATEHOUSE_* environment < flags, each value followed by where it came from. The text is a valid
gatehouse.toml; --json prints { config, sources } instead. Exits 2 if the configuration is bad.

options:
${formatFlags(CONFIG_FLAGS)}
`

export async function config(argv: string[], io: Io): Promise<number> {
  return runConfigCommand(argv, io, {
    name: 'config',
    help: HELP,
    report: (resolved, json) => (json ? `${configToJson(resolved)}\n` : describeConfig(resolved)),
  })
}
