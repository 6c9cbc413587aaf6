import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { randomInt } from 'node:crypto'

/**
 * Fixture ports come from below Linux's ephemeral range (32768–60999 by default): a port the kernel
 * hands out for `listen(0)` or an outgoing connection could be taken between this check and the
 * moment Pebble or a solver binds it, which made tests flaky when suites ran in parallel.
 */
const LOW = 10_000
const HIGH = 32_000
const MAX_ATTEMPTS = 50
// Test files run in parallel processes that each pick ports and bind them later: a slice of the range
// per process (by pid) keeps two processes from choosing the same port between check and bind.
const SLICE = 1_000
const SLICES = Math.floor((HIGH - LOW) / SLICE)
const sliceLow = LOW + (process.pid % SLICES) * SLICE
// Ports handed out by this process, never handed out twice (a fixture binds them later).
const given = new Set<number>()

/** A loopback port that is free for TCP (and, with `udp`, for UDP too) at the time of the call. */
export async function freePort(options: { udp?: boolean; host?: string } = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1'
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = randomInt(sliceLow, sliceLow + SLICE)
    if (given.has(port) || !(await tcpFree(port, host))) continue
    if (options.udp && !(await udpFree(port, host))) continue
    given.add(port)
    return port
  }
  throw new Error(
    `no free loopback port between ${sliceLow} and ${sliceLow + SLICE} after ${MAX_ATTEMPTS} attempts`,
  )
}

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    sock.once('error', () => resolve(false))
    sock.bind(port, host, () => sock.close(() => resolve(true)))
  })
}
