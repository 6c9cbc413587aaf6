import { PassThrough } from 'node:stream'
import { main } from '../../src/cli/main.js'

export interface Captured {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the CLI's `main` in this process with captured streams and an empty environment, as a user's
 * shell would (not a terminal; `tty` makes stderr look like one).
 */
export async function runMain(argv: string[], options: { tty?: boolean } = {}): Promise<Captured> {
  const stdout = new PassThrough()
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty === true })
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => (out += c.toString()))
  stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await main(argv, { stdout, stderr, env: {} })
  return { code, stdout: out, stderr: err }
}
