/**
 * The flags of the commands that read `gatehouse.toml` (`validate`, `config`, and `serve`): one per
 * setting of src/config/settings.ts, plus `--config`. Setting flags are read here; their
 * `GATEHOUSE_*` environment is read by the config layer, which records which source won.
 */
import { ConfigError } from '../config/config-error.js'
import { loadConfig } from '../config/load-config.js'
import { SETTINGS } from '../config/settings.js'
import type { ResolvedConfig } from '../config/types.js'
import { bool } from '../config/value-types.js'
import { parseArgs, type FlagSpecs, type ParsedArgs } from './args.js'
import type { Io } from './context.js'

/** Flags every configuration-reading command takes. */
export const CONFIG_FLAGS: FlagSpecs = {
  config: {
    type: 'string',
    value: 'FILE',
    help: 'the configuration file (default ./gatehouse.toml, if present)',
  },
  ...settingFlagSpecs(),
  json: { type: 'boolean', help: 'print JSON on stdout' },
  debug: { type: 'boolean', help: 'print stack traces' },
  help: { type: 'boolean', help: 'show this help' },
}

function settingFlagSpecs(): FlagSpecs {
  const specs: FlagSpecs = {}
  for (const s of SETTINGS) {
    if (s.flag === undefined) continue
    const help = `${s.key}: ${s.help.replace(/`/g, '')}`
    specs[s.flag] =
      s.type === bool ? { type: 'boolean', help } : { type: 'string', value: 'VALUE', help }
  }
  return specs
}

/**
 * Parses the command line. Only `--config`, `--json` and `--debug` are read from the environment
 * here (`GATEHOUSE_CONFIG`, …); settings' environment variables are the config layer's.
 */
export function parseConfigArgs(argv: readonly string[], io: Io, specs = CONFIG_FLAGS): ParsedArgs {
  const env: NodeJS.ProcessEnv = {}
  for (const name of ['GATEHOUSE_CONFIG', 'GATEHOUSE_JSON', 'GATEHOUSE_DEBUG'])
    if (io.env[name] !== undefined) env[name] = io.env[name]
  return parseArgs(argv, specs, env)
}

/** The setting flags given on the command line, by setting key (`https.port` → `"8443"`). */
export function settingFlags(args: ParsedArgs): Map<string, string | boolean> {
  const out = new Map<string, string | boolean>()
  for (const setting of SETTINGS) {
    const value = setting.flag === undefined ? undefined : args.flags.get(setting.flag)
    if (typeof value === 'string' || typeof value === 'boolean') out.set(setting.key, value)
  }
  return out
}

/** Loads the configuration the command line names, with the process's environment. */
export async function loadConfigFromArgs(args: ParsedArgs, io: Io): Promise<ResolvedConfig> {
  const file = args.flags.get('config')
  return loadConfig({
    env: io.env,
    flags: settingFlags(args),
    ...(typeof file === 'string' ? { file } : {}),
  })
}

/** What a command that only reads the configuration (`config`, `validate`) is made of. */
export interface ConfigCommand {
  /** The command's name in messages (`gatehouse NAME: …`). */
  name: string
  /** Printed for `--help`. */
  help: string
  /** The text printed on stdout for a configuration that loaded (`json`: one JSON line). */
  report(resolved: ResolvedConfig, json: boolean): string
}

/**
 * Runs a configuration-reading command: `--help`, else the configuration the command line names,
 * reported by `command.report` (exit 0) or, when it is bad, as a configuration error (exit 2).
 */
export async function runConfigCommand(
  argv: readonly string[],
  io: Io,
  command: ConfigCommand,
): Promise<number> {
  const args = parseConfigArgs(argv, io)
  if (args.flags.get('help')) {
    io.stdout.write(command.help)
    return 0
  }
  const json = args.flags.get('json') === true
  try {
    io.stdout.write(command.report(await loadConfigFromArgs(args, io), json))
    return 0
  } catch (err) {
    if (err instanceof ConfigError) return reportConfigError(err, command.name, io, json)
    throw err
  }
}

/** Writes a configuration error (`--json`: as an object) and returns exit status 2. */
export function reportConfigError(
  err: ConfigError,
  command: string,
  io: Io,
  json: boolean,
): number {
  if (json) {
    const { code, message, file, line, key, from } = err
    io.stdout.write(
      `${JSON.stringify({ ok: false, error: { code, message, file, line, key, from } })}\n`,
    )
  } else io.stderr.write(`gatehouse ${command}: ${err.message}\n`)
  return 2
}
