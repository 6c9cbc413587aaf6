import { ConfigError } from '../../config/config-error.js'
import { configToJson, describeConfig } from '../../config/describe-config.js'
import { formatFlags } from '../args.js'
import {
  CONFIG_FLAGS,
  loadConfigFromArgs,
  parseConfigArgs,
  reportConfigError,
} from '../config-flags.js'
import type { Io } from '../context.js'

const HELP = `usage: gatehouse config [--config FILE] [--json] [options]

Prints the configuration \`gatehouse serve\` would run with: defaults < ./gatehouse.toml (or --config)
< GATEHOUSE_* environment < flags, each value followed by where it came from. The text is a valid
gatehouse.toml; --json prints { config, sources } instead. Exits 2 if the configuration is bad.

options:
${formatFlags(CONFIG_FLAGS)}
`

export async function config(argv: string[], io: Io): Promise<number> {
  const args = parseConfigArgs(argv, io)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const json = args.flags.get('json') === true
  try {
    const resolved = await loadConfigFromArgs(args, io)
    io.stdout.write(json ? `${configToJson(resolved)}\n` : describeConfig(resolved))
    return 0
  } catch (err) {
    if (err instanceof ConfigError) return reportConfigError(err, 'config', io, json)
    throw err
  }
}
