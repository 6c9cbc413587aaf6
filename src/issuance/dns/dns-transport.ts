/**
 * One DNS exchange with one server: UDP with bounded retransmits, TCP when the message is too big for
 * UDP or the answer comes back truncated (RFC 1035 §4.2, RFC 7766 §5).
 */
import { createSocket } from 'node:dgram'
import { connect, isIPv6 } from 'node:net'
import type { Clock } from '../../clock.js'
import { GatehouseError, throwIfAborted } from '../../errors.js'
import { MAX_UDP_SIZE } from './dns-wire.js'
import { formatHostPort, type HostPort } from './host-port.js'

/** UDP sends of one query before giving up; each waits `timeoutMs / MAX_UDP_ATTEMPTS`. */
export const MAX_UDP_ATTEMPTS = 3

export interface ExchangeOptions {
  /** Total time for the exchange, in milliseconds. */
  timeoutMs: number
  clock: Clock
  signal?: AbortSignal | undefined
}

/** Sends `wire` (whose ID is `wire[0..2]`) and resolves with the matching answer's bytes. */
export async function exchange(
  server: HostPort,
  wire: Buffer,
  options: ExchangeOptions,
): Promise<Buffer> {
  throwIfAborted(options.signal)
  if (wire.length > MAX_UDP_SIZE) return tcpExchange(server, wire, options)
  const answer = await udpExchange(server, wire, options)
  // TC bit (RFC 1035 §4.1.1): the answer did not fit; ask again over TCP.
  if (((answer[2] ?? 0) & 0x02) !== 0) return tcpExchange(server, wire, options)
  return answer
}

/** `work`'s result, or undefined when `ms` pass first; the timer is always cancelled afterwards. */
async function within<T>(
  work: Promise<T>,
  ms: number,
  options: ExchangeOptions,
): Promise<T | undefined> {
  const local = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal
  const timer = options.clock.sleep(ms, signal).then(
    () => undefined,
    (err: unknown) => {
      if (options.signal?.aborted) throw err
      return undefined
    },
  )
  try {
    return await Promise.race([work, timer])
  } finally {
    local.abort()
  }
}

async function udpExchange(
  server: HostPort,
  wire: Buffer,
  options: ExchangeOptions,
): Promise<Buffer> {
  const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4')
  const id = wire.readUInt16BE(0)
  const answer = new Promise<Buffer>((resolve, reject) => {
    socket.on('message', (msg, rinfo) => {
      // Ignore stray datagrams: a different ID or port is not our answer (RFC 5452 §4.3).
      if (msg.length >= 12 && msg.readUInt16BE(0) === id && rinfo.port === server.port) resolve(msg)
    })
    socket.on('error', reject)
  })
  answer.catch(() => {})
  try {
    const perAttempt = Math.max(1, Math.floor(options.timeoutMs / MAX_UDP_ATTEMPTS))
    for (let attempt = 1; attempt <= MAX_UDP_ATTEMPTS; attempt++) {
      throwIfAborted(options.signal)
      socket.send(wire, server.port, server.host)
      const got = await within(answer, perAttempt, options)
      if (got) return got
    }
  } finally {
    socket.close()
  }
  throw new GatehouseError(
    'ERR_DNS_PROVIDER',
    `no answer from DNS server ${formatHostPort(server)} over UDP after ${MAX_UDP_ATTEMPTS} attempts in ${options.timeoutMs} ms; check the address and that it listens on UDP`,
  )
}

async function tcpExchange(
  server: HostPort,
  wire: Buffer,
  options: ExchangeOptions,
): Promise<Buffer> {
  const socket = connect({ host: server.host, port: server.port })
  const answer = new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const length = received.length >= 2 ? received.readUInt16BE(0) : -1
      if (length >= 0 && received.length >= 2 + length) resolve(received.subarray(2, 2 + length))
    })
    socket.on('error', reject)
    socket.on('end', () => reject(new Error('connection closed before a full answer')))
  })
  answer.catch(() => {})
  const prefix = Buffer.alloc(2)
  prefix.writeUInt16BE(wire.length, 0)
  socket.write(Buffer.concat([prefix, wire]))
  try {
    const got = await within(answer, options.timeoutMs, options)
    if (got) return got
  } catch (err) {
    if (options.signal?.aborted) throw err
    throw new GatehouseError(
      'ERR_DNS_PROVIDER',
      `DNS over TCP to ${formatHostPort(server)} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    )
  } finally {
    socket.destroy()
  }
  throw new GatehouseError(
    'ERR_DNS_PROVIDER',
    `no answer from DNS server ${formatHostPort(server)} over TCP in ${options.timeoutMs} ms`,
  )
}
