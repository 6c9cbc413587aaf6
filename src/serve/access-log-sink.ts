import { createWriteStream, type WriteStream } from 'node:fs'
import { GatehouseError } from '../errors.js'
import { accessLogFormatter } from '../proxy/access-log.js'
import { AccessLogWriter } from '../proxy/access-log-writer.js'

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
  const line = accessLogFormatter(fields)
  if (target === 'stdout') {
    const out = options.stdout ?? process.stdout
    return {
      write: (entry) => void out.write(line(entry)),
      close: async () => {},
    }
  }
  // Opened once here so a bad path fails start-up (or a reload) with a clear message; the lines
  // then go through the batching writer (one write per ~100 ms, not one per request).
  const check = await openAppend(target)
  await new Promise<void>((resolve) => check.end(() => resolve()))
  const writer = new AccessLogWriter(target, fields === undefined ? {} : { fields })
  return {
    write: writer.write,
    close: () => writer.close().catch(() => {}),
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
