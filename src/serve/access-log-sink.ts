import { createWriteStream, type WriteStream } from 'node:fs'
import { GatehouseError } from '../errors.js'

/** Where access-log lines go: a function taking one entry, and a way to flush and close. */
export interface AccessLogSink {
  write(entry: Record<string, unknown>): void
  close(): Promise<void>
}

/**
 * `[log] access_log`: `stdout`, `off`, or a file path opened for appending (O_APPEND, so logrotate's
 * copytruncate and several workers writing one file both work: each line is one write). Lines are
 * JSON objects, one per request. A file that cannot be opened is reported once, naming it.
 */
export async function openAccessLog(
  target: string,
  options: { stdout?: NodeJS.WritableStream; fields?: Record<string, unknown> } = {},
): Promise<AccessLogSink | undefined> {
  if (target === 'off') return undefined
  const fields = options.fields
  const line = (entry: Record<string, unknown>): string =>
    `${JSON.stringify(fields ? { ...entry, ...fields } : entry)}\n`
  if (target === 'stdout') {
    const out = options.stdout ?? process.stdout
    return {
      write: (entry) => void out.write(line(entry)),
      close: async () => {},
    }
  }
  const stream = await openAppend(target)
  return {
    write: (entry) => void stream.write(line(entry)),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  }
}

function openAppend(file: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(file, { flags: 'a', mode: 0o640 })
    stream.once('open', () => {
      // Later write errors (disk full) must not crash the server: requests matter more than logs.
      stream.on('error', () => {})
      resolve(stream)
    })
    stream.once('error', (err) =>
      reject(
        new GatehouseError(
          'ERR_CONFIG',
          `cannot open access log ${file}: ${err.message}; fix [log] access_log or the folder's permissions`,
          { cause: err },
        ),
      ),
    )
  })
}
