import { spawn } from 'node:child_process'

/** The built CLI entry (tests run from build/test/…, the binary sits at the package root). */
export const GATEHOUSE_BIN = new URL('../../../bin/gatehouse.js', import.meta.url).pathname

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Only PATH plus this reaches the child, so the host's GATEHOUSE_* never leaks into a test. */
  env?: Record<string, string>
  cwd?: string
  /** The child is killed (SIGKILL) after this long. Default 60 s. */
  timeoutMs?: number
}

/**
 * Runs `file args…` asynchronously and collects its output: asynchronously because the server a
 * test checks often lives in the test's own process. Never rejects for a non-zero exit.
 */
export function run(file: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs the real `gatehouse` binary as a user would (see {@link run} for the environment). */
export function runGatehouse(args: string[], options: RunOptions = {}): Promise<Run> {
  return run(process.execPath, [GATEHOUSE_BIN, ...args], options)
}

/** The flags that point a CLI command at a home folder and an ACME CA whose HTTPS root is `caFile`. */
export function acmeFlags(home: string, directoryUrl: string, caFile: string): string[] {
  return ['--home', home, '--acme-directory', directoryUrl, '--acme-ca-cert', caFile]
}

/**
 * {@link acmeFlags} for Pebble (or a front at `directoryUrl`), with `--http-port` on the port
 * Pebble validates HTTP-01 on.
 */
export function pebbleFlags(
  home: string,
  pebble: { directoryUrl: string; listenerCaFile: string; httpPort: number },
  directoryUrl = pebble.directoryUrl,
): string[] {
  return [
    ...acmeFlags(home, directoryUrl, pebble.listenerCaFile),
    '--http-port',
    `127.0.0.1:${pebble.httpPort}`,
  ]
}
