/**
 * What the proxy bench starts before measuring: the certificate every proxy serves, the HTTP origin
 * and the WebSocket upstream (both on the client core), and each proxy (on the server core), checked
 * to really proxy before any figure is taken.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../../src/testing/ports.js'
import { spawnPinned, type PinnedProcess } from './pinned-process.js'
import { originNginxConfig, type ProxyConfigInput } from './proxy-configs.js'
import type { ProxyContender } from './proxy-contenders.js'
import { waitForProxy } from './proxy-probe.js'

/** Milliseconds a proxy gets to answer its first request correctly. */
const READY_TIMEOUT_MS = 30_000
/** File descriptors kept free for listeners, logs and libraries in every process. */
const FD_MARGIN = 200

/**
 * One self-signed ECDSA P-256 certificate for `localhost` (wrk and h2load send the URL's host as
 * SNI), written once under `dir` and reused: `crt`, `key` (0600) and `combined` (HAProxy's format).
 */
export function benchCertificate(dir: string): ProxyConfigInput['cert'] {
  mkdirSync(dir, { recursive: true })
  const crt = join(dir, 'localhost.crt')
  const key = join(dir, 'localhost.key')
  const combined = join(dir, 'localhost.pem')
  if (!existsSync(combined)) {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '365'],
        ...['-keyout', key, '-out', crt],
      ],
      { stdio: 'ignore' },
    )
    writeFileSync(combined, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'), { mode: 0o600 })
  }
  return { crt, key, combined }
}

/** Soft and hard limits on open files of this process (`Max open files` of /proc/self/limits). */
export function openFileLimits(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits)
  const n = (s: string | undefined): number => (s === 'unlimited' ? 1 << 20 : Number(s ?? 1024))
  return { soft: n(m?.[1]), hard: n(m?.[2]) }
}

/**
 * As root (with CAP_SYS_RESOURCE), raises this process's open-file limits (soft and hard) to what `tunnels` WebSockets need
 * through one proxy process (two descriptors per tunnel, plus a margin), at most the kernel's
 * `fs.nr_open`; every process the bench starts inherits them. As another user, nothing changes:
 * {@link maxTunnels} then says how many fit, and the header says why.
 */
export function raiseOpenFileLimit(tunnels: number): void {
  if (process.getuid?.() !== 0) return
  const wanted = 2 * tunnels + 2 * FD_MARGIN
  if (openFileLimits().hard >= wanted) return
  const ceiling = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim())
  const n = Math.min(wanted, ceiling)
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${n}:${n}`], {
      timeout: 5_000,
      stdio: 'ignore',
    })
  } catch {
    // A container without CAP_SYS_RESOURCE (root, yet "Operation not permitted"): the limits stay,
    // and the report's header says how many tunnels they allow.
  }
}

/**
 * Most tunnels the WebSocket phase can open through a proxy of `processes` processes: each holds two
 * descriptors per tunnel it carries and runs with its soft limit raised to the hard one (see
 * spawnPinned); this process holds one per client.
 */
export function maxTunnels(processes = 1): number {
  const { soft, hard } = openFileLimits()
  return Math.min(processes * Math.floor((hard - FD_MARGIN) / 2), soft - FD_MARGIN)
}

export interface Upstreams {
  originPort: number
  wsPort: number
  stop(): Promise<void>
}

/** nginx with a fixed body, and the `ws` echo server, both pinned to `cpu`. */
export async function startUpstreams(
  work: string,
  cpu: string,
  maxConnections: number,
): Promise<Upstreams> {
  const originPort = await freePort()
  const wsPort = await freePort()
  const originDir = join(work, 'origin')
  mkdirSync(originDir, { recursive: true })
  const conf = join(originDir, 'nginx.conf')
  writeFileSync(conf, originNginxConfig(originPort, originDir, maxConnections + FD_MARGIN))
  const error = join(originDir, 'error.log')
  const origin = spawnPinned('nginx', ['-p', originDir, '-e', error, '-c', conf], { cpu })
  const ws = spawnPinned(
    process.execPath,
    [join(import.meta.dirname, 'ws-upstream.js'), String(wsPort)],
    { cpu },
  )
  const stop = async (): Promise<void> => {
    await Promise.all([origin.stop(), ws.stop()])
  }
  try {
    await waitForOutput(ws, 'ready')
    await waitForHttp(originPort, origin)
  } catch (err) {
    await stop()
    throw err
  }
  return { originPort, wsPort, stop }
}

async function waitForOutput(p: PinnedProcess, text: string): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS
  while (!p.output().includes(text)) {
    if (performance.now() > deadline)
      throw new Error(`no "${text}" from pid ${p.pid}: ${p.output()}`)
    await sleep(50)
  }
}

async function waitForHttp(port: number, p: PinnedProcess): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`)
      if (res.ok) return void (await res.text())
    } catch {
      if (performance.now() > deadline) throw new Error(`origin not answering: ${p.output()}`)
    }
    await sleep(50)
  }
}

/** A proxy that answered its probe, or the reason it is not in the table. */
export type Started =
  { ok: true; process: PinnedProcess; port: number; tls: string } | { ok: false; reason: string }

/** Starts `c` pinned to `cpu` on a free port and waits until it proxies to the origin. */
export async function startProxy(
  c: ProxyContender,
  input: Omit<ProxyConfigInput, 'port' | 'work'>,
  root: string,
  cpu: string,
): Promise<Started> {
  const port = await freePort()
  const work = join(root, c.key)
  mkdirSync(work, { recursive: true })
  const [command, args, env] = c.command({ ...input, port, work })
  let proc: PinnedProcess
  try {
    proc = spawnPinned(command, args, { cpu, env })
  } catch (err) {
    return { ok: false, reason: (err as Error).message }
  }
  const probe = await waitForProxy(port, proc.exited, READY_TIMEOUT_MS)
  if (probe.ok) return { ok: true, process: proc, port, tls: probe.detail }
  await proc.stop()
  const said = proc.output().split('\n').filter(Boolean).slice(-3).join(' / ')
  return { ok: false, reason: said ? `${probe.detail}: ${said}` : probe.detail }
}
