import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'
import { AbortedError } from '../errors.js'

/**
 * How long one trust-store tool may run. `update-ca-certificates` rebuilds a few hundred links in
 * well under a second; a minute means it is stuck (waiting on a lock or a prompt), not slow.
 */
export const COMMAND_TIMEOUT_MS = 60_000

/** Where administrators' tools live, searched after PATH: a user's PATH often lacks them. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin']

export interface CommandResult {
  /** Exit status; null when killed (timeout). */
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The executable for `name`: `override` when given (it must be executable), else the first match in
 * `pathEnv` and then the sbin folders. Undefined when there is none.
 */
export async function findCommand(
  name: string,
  pathEnv: string,
  override?: string,
): Promise<string | undefined> {
  const candidates =
    override !== undefined
      ? [override]
      : [...pathEnv.split(delimiter), ...SBIN_DIRS]
          .filter((dir) => isAbsolute(dir))
          .map((dir) => join(dir, name))
  for (const file of candidates) {
    if (await isExecutable(file)) return file
  }
  return undefined
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Runs `file args…` without a shell; resolves with its exit status and output, never rejects on a non-zero exit. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<CommandResult> {
  const { signal } = options
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8', ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => {
        if (signal?.aborted) return reject(new AbortedError(signal.reason))
        if (err && typeof err.code !== 'number' && !err.killed) {
          return reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err }))
        }
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** The last non-empty line of a tool's output, for one-line error messages. */
export function lastLine(result: CommandResult): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim() !== '')
  return lines[lines.length - 1]?.trim() ?? `exit status ${String(result.code)}`
}
