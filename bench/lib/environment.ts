import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'

export interface Environment {
  date: string
  nproc: number
  cpuModel: string
  node: string
  /** Debian package versions: the binaries print `dev` (lego) or nothing (pebble). */
  packages: Record<string, string>
  lego: string
  certbot: string
  /**
   * 1-minute load average when the bench started: other work on the machine shares core 0 with the
   * client however it is pinned, so a high figure marks a noisy run.
   */
  loadAverage: number
}

/** What BENCHMARKS.md records about the machine and the peers, read rather than assumed. */
export function describeEnvironment(now: Date): Environment {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  const packages: Record<string, string> = {}
  for (const name of ['pebble', 'lego', 'certbot'])
    packages[name] = output('dpkg-query', ['-W', '-f', '${Version}', name])
  return {
    date: now.toISOString(),
    nproc: cpus().length,
    cpuModel: model,
    node: process.version,
    packages,
    lego: output('lego', ['--version']),
    certbot: output('certbot', ['--version']),
    loadAverage: loadavg()[0] ?? 0,
  }
}

function output(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim()
  } catch {
    return 'not installed'
  }
}
