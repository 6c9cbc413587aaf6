import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** curl's exit code and body: 0 ok, 60 certificate not trusted, 35 TLS failed, 28 timed out. */
export interface CurlResult {
  code: number
  stdout: string
}

/** Runs the real curl, silent, bounded by `maxTimeSeconds` (default 20); never throws for a non-zero exit. */
export async function curl(args: string[], maxTimeSeconds = 20): Promise<CurlResult> {
  try {
    const { stdout } = await run('curl', ['-s', '--max-time', String(maxTimeSeconds), ...args])
    return { code: 0, stdout }
  } catch (err) {
    const e = err as { code?: number; stdout?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' }
  }
}
