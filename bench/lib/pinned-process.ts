/**
 * A server process pinned to one core, and what the proxy bench reads from it: CPU time and RSS of
 * the whole process tree from /proc (nginx or HAProxy may fork workers; most peers here do not).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Milliseconds a stopped process gets to exit before SIGKILL. */
const STOP_GRACE_MS = 5_000
/** Characters of a process's stderr kept for the "not available" message. */
const STDERR_TAIL = 2_000

/** Clock ticks per second for /proc times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

export interface PinnedProcess {
  /** The server's own pid: `taskset` execs, so no wrapper process sits in between. */
  readonly pid: number
  /** Resolves with the exit code (or signal) when the process ends, for whatever reason. */
  readonly exited: Promise<string>
  /** The last {@link STDERR_TAIL} characters of its stderr and stdout. */
  output(): string
  /** SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}; resolves once it has exited. */
  stop(): Promise<void>
}

export interface SpawnPinnedOptions {
  /** `taskset -c` list, e.g. `'0'`. */
  cpu: string
  env?: Record<string, string>
  cwd?: string
}

/**
 * Starts `command args` under `taskset -c cpu`, with the soft limit on open files raised to the hard
 * limit (`prlimit`, as `ulimit -n $(ulimit -Hn)` would): a proxy holding thousands of WebSockets
 * needs it. Both tools exec, so the pid is the command's own.
 */
export function spawnPinned(
  command: string,
  args: readonly string[],
  options: SpawnPinnedOptions,
): PinnedProcess {
  const raise = ['prlimit', `--nofile=${hardOpenFileLimit()}`]
  const child = spawn('taskset', ['-c', options.cpu, ...raise, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  })
  let tail = ''
  const keep = (d: Buffer): void => {
    tail = (tail + d.toString()).slice(-STDERR_TAIL)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`))
    child.once('error', (err) => resolve(`cannot spawn: ${err.message}`))
  })
  if (child.pid === undefined) throw new Error(`cannot spawn ${command}`)
  return { pid: child.pid, exited, output: () => tail.trim(), stop: () => stopChild(child) }
}

function hardOpenFileLimit(): string {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  return /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1] ?? 'unlimited'
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

interface ProcStat {
  ppid: number
  /** utime + stime of the process (all its threads), in ticks. */
  own: number
  /** cutime + cstime: children it has waited for, in ticks. */
  children: number
}

/** Fields of /proc/<pid>/stat, or undefined once the process is gone. */
function readStat(pid: number): ProcStat | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces and parens; the fields after the last ')' are fixed:
  // field 4 is ppid, 14/15 utime/stime, 16/17 cutime/cstime (proc(5)).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const n = (i: number): number => Number(f[i - 3])
  return { ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) }
}

/** `pid` and every live descendant of it. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry)
    if (!Number.isInteger(child)) continue
    const ppid = readStat(child)?.ppid
    if (ppid !== undefined) parents.set(ppid, [...(parents.get(ppid) ?? []), child])
  }
  const tree: number[] = []
  const queue = [pid]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    tree.push(next)
    queue.push(...(parents.get(next) ?? []))
  }
  return tree
}

/**
 * CPU time (user + system, all threads) of `pid` and its descendants, plus the children they have
 * reaped, in ms. 10 ms resolution (USER_HZ): runs must use far more than that.
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0
  for (const p of processTree(pid)) {
    const s = readStat(p)
    if (s) ticks += s.own + s.children
  }
  return (ticks * 1000) / TICKS_PER_SECOND
}

/** Resident set size of `pid` and its descendants, in KiB (`VmRSS` of /proc/<pid>/status). */
export function treeRssKiB(pid: number): number {
  let kib = 0
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      kib += Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0)
    } catch {
      // The process ended between the listing and the read: it holds no memory.
    }
  }
  return kib
}
