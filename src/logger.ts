/**
 * Structured logging. Every component that logs takes a `Logger` (no global logger), so several servers
 * in one process log where each was told to, and tests can capture lines.
 *
 * Contract: `msg` is a short constant phrase (`certificate obtained`), the variable parts go in `fields`
 * (`{ name, notAfter }`). Fields must never hold private keys, account keys or EAB secrets.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

export type LogFields = Record<string, unknown>
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface JsonLoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel
  /** Where each line (a JSON object and `\n`) goes. Default: process.stderr. */
  write?: (line: string) => void
  /** Fields added to every line (e.g. `{ worker: 2 }`). */
  base?: LogFields
  /** Time source for the `time` field. Default `Date.now`. */
  now?: () => number
}

/** A logger writing one JSON object per line: `{"time":…,"level":"info","msg":…,…fields}`. */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const now = options.now ?? Date.now
  const base = options.base ?? {}
  const log =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (RANK[level] < min) return
      const entry = { time: new Date(now()).toISOString(), level, msg, ...base, ...fields }
      write(`${JSON.stringify(entry, errorsAsText)}\n`)
    }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

/** Drops everything (the default where no logger is given). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
}

/** Errors serialise as their message and code, not `{}`. */
function errorsAsText(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return code === undefined ? value.message : { message: value.message, code }
  }
  return value
}
