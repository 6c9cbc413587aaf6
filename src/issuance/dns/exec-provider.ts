/**
 * A DNS provider that runs a program, compatible with lego's `exec` provider scripts: the program is
 * called as `<command> present <fqdn> <value>` and `<command> cleanup <fqdn> <value>`, with the fqdn
 * absolute (trailing dot) and the value the TXT record's content. Any DNS host with a CLI or an API
 * reachable by `curl` can be wired up this way.
 */
import { spawn } from 'node:child_process'
import { systemClock, type Clock } from '../../clock.js'
import { AbortedError, GatehouseError, throwIfAborted } from '../../errors.js'
import type { DnsProvider } from './dns-provider.js'
import { checkMs, rejectUnknownOptions } from './options.js'

export interface ExecDnsProviderOptions {
  /**
   * The program to run: an absolute or relative path, or a name looked up in `PATH`. It is run without
   * a shell, so a command containing spaces is one path (`/opt/my dns/hook.sh`), never a program plus
   * arguments; wrap anything fancier in a script.
   */
  command: string
  /**
   * Extra environment variables, added to this process's environment (which is passed through, as lego
   * does, so a script keeps its API tokens). `EXEC_MODE` is not set: scripts run in lego's default
   * mode, receiving the fqdn and the TXT value.
   */
  env?: Record<string, string>
  /** How long the program may run, in milliseconds, before it is killed. Default 120 000. */
  timeoutMs?: number
  /** The time source for the timeout. Default: the system clock. */
  clock?: Clock
}

const OPTION_KEYS = ['command', 'env', 'timeoutMs', 'clock'] as const
const DEFAULT_TIMEOUT_MS = 120_000
/** After SIGTERM, how long the program's process group gets before SIGKILL, in milliseconds. */
const KILL_GRACE_MS = 2_000
/** Stderr kept for the error message, in bytes; a chatty script must not grow memory. */
const MAX_STDERR_BYTES = 64 * 1024

export class ExecDnsProvider implements DnsProvider {
  readonly #command: string
  readonly #env: Readonly<Record<string, string>>
  readonly #timeoutMs: number
  readonly #clock: Clock

  constructor(options: ExecDnsProviderOptions) {
    rejectUnknownOptions('ExecDnsProvider', options, OPTION_KEYS)
    if (typeof options.command !== 'string' || options.command === '') {
      throw new TypeError(
        'command must be the path of the program to run, e.g. /etc/gatehouse/dns.sh',
      )
    }
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (typeof value !== 'string')
        throw new TypeError(`env.${key} must be a string, got ${typeof value}`)
    }
    this.#command = options.command
    this.#env = Object.freeze({ ...options.env })
    this.#timeoutMs = checkMs('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS)
    this.#clock = options.clock ?? systemClock
  }

  async present(
    fqdn: string,
    value: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#run('present', fqdn, value, options.signal)
  }

  async cleanup(
    fqdn: string,
    value: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#run('cleanup', fqdn, value, options.signal)
  }

  async #run(mode: string, fqdn: string, value: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal)
    const absolute = fqdn.endsWith('.') ? fqdn : `${fqdn}.`
    const what = `DNS exec provider "${this.#command} ${mode} ${absolute}"`
    // detached: the program leads its own process group, so a kill reaches what it started too
    // (a shell script's `sleep` or `curl` would otherwise hold the pipes open after the shell died).
    const child = spawn(this.#command, [mode, absolute, value], {
      env: { ...process.env, ...this.#env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR_BYTES)
    })
    const done = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, sig) => resolve({ code, signal: sig }))
    })
    const outcome = await this.#supervise(child.pid, done, signal).catch((err: unknown) => {
      if (err instanceof GatehouseError) throw err
      throw new GatehouseError('ERR_DNS_PROVIDER', `${what} could not start: ${String(err)}`, {
        cause: err,
      })
    })
    if (outcome === 'timeout') {
      throw new GatehouseError(
        'ERR_DNS_PROVIDER',
        `${what} did not finish in ${this.#timeoutMs} ms and was killed`,
      )
    }
    if (outcome.code === 0) return
    const status =
      outcome.code === null ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`
    const last = stderr.trim().split('\n').at(-1)?.trim()
    throw new GatehouseError('ERR_DNS_PROVIDER', `${what} ${status}${last ? `: ${last}` : ''}`)
  }

  /** Waits for the program, killing its process group on timeout or abort. */
  async #supervise<T>(
    pid: number | undefined,
    done: Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T | 'timeout'> {
    const local = new AbortController()
    const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal
    const timer = this.#clock.sleep(this.#timeoutMs, both).then(
      () => 'timeout' as const,
      () => 'stopped' as const,
    )
    try {
      const first = await Promise.race([done, timer])
      if (first !== 'timeout' && first !== 'stopped') return first
      await killGroup(pid, done, this.#clock)
      if (first === 'stopped' && signal?.aborted) throw new AbortedError(signal.reason)
      return 'timeout'
    } finally {
      local.abort()
    }
  }
}

async function killGroup(
  pid: number | undefined,
  done: Promise<unknown>,
  clock: Clock,
): Promise<void> {
  if (pid === undefined) return
  const kill = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig)
    } catch {
      // The group is already gone.
    }
  }
  kill('SIGTERM')
  const grace = new AbortController()
  const exited = done.then(
    () => true,
    () => true,
  )
  const timedOut = clock.sleep(KILL_GRACE_MS, grace.signal).then(
    () => false,
    () => true,
  )
  if (!(await Promise.race([exited, timedOut]))) kill('SIGKILL')
  grace.abort()
  await exited
}
