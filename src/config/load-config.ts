import { readFile } from 'node:fs/promises'
import { availableParallelism, homedir } from 'node:os'
import { resolve } from 'node:path'
import { ConfigError } from './config-error.js'
import { resolveConfig, type ConfigFile, type ResolveOptions } from './resolve-config.js'
import type { ResolvedConfig } from './types.js'

/** The file read when none is named: `./gatehouse.toml`. */
export const DEFAULT_CONFIG_FILE = 'gatehouse.toml'

export interface LoadConfigOptions {
  /** A file named with `--config`: it must exist. Without it, `./gatehouse.toml` is read if present. */
  file?: string
  /** Default `process.cwd()`. */
  cwd?: string
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** Flag values by setting key (`https.port` → `"8443"`); see {@link ResolveOptions.flags}. */
  flags?: ReadonlyMap<string, string | boolean>
  /** See {@link ResolveOptions.embedded}. Default true. */
  embedded?: boolean
}

/**
 * Reads `gatehouse.toml` (or the named file) and resolves it with the environment and flags.
 * Throws {@link ConfigError} (`ERR_CONFIG`) naming the file, line and key of the first problem.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const file = await readConfigFile(options.file, cwd)
  const resolveOptions: ResolveOptions = {
    env,
    cwd,
    userHome: env.HOME || homedir(),
    cpus: availableParallelism(),
    ...(file ? { file } : {}),
    ...(options.flags ? { flags: options.flags } : {}),
    ...(options.embedded === undefined ? {} : { embedded: options.embedded }),
  }
  return resolveConfig(resolveOptions)
}

async function readConfigFile(
  named: string | undefined,
  cwd: string,
): Promise<ConfigFile | undefined> {
  const name = named ?? DEFAULT_CONFIG_FILE
  const path = resolve(cwd, name)
  try {
    return { name, path, text: await readFile(path, 'utf8') }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (named === undefined && code === 'ENOENT') return undefined
    const why =
      code === 'ENOENT'
        ? 'no such file; check the path'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message
    throw new ConfigError(
      `cannot read configuration file ${name}: ${why}`,
      { file: name },
      { cause: err },
    )
  }
}
