import { isIPv4 } from 'node:net'
import { GatehouseError } from '../errors.js'

/** Finds this machine's public IPv4 address (behind NAT the machine cannot see it itself). */
export type Ipv4Detector = (options: { signal: AbortSignal }) => Promise<string>

/** Default bound on a detection, in milliseconds. */
export const DEFAULT_DETECT_TIMEOUT_MS = 5_000
/** An address is a few bytes; a detector answering more is not the kind of service we expect. */
const MAX_ANSWER_BYTES = 256

/**
 * The public IPv4 address for an IP-address certificate (issue 3 §3), through a detector the user
 * chooses: a function, or the URL of a service that answers the caller's address as plain text (as
 * `https://ifconfig.me/ip` or an own endpoint do). No service is built in: which third party learns
 * the server's address is the operator's decision. The answer must be a public unicast address: a
 * private, shared (CGN), loopback or other special-purpose one (RFC 6890) is refused, since no CA
 * can validate it. Rejects with ERR_TIMEOUT after `timeoutMs`, ERR_CONFIG for any other failure.
 */
export async function detectPublicIpv4(
  detector: Ipv4Detector | string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DETECT_TIMEOUT_MS
  // A referenced timer, not AbortSignal.timeout(): that one is unref'd, so a detector waiting only on
  // the signal would let the event loop end before the timeout fires (seen in a test process).
  const timeout = new AbortController()
  const timer = setTimeout(() => timeout.abort(new Error('timed out')), timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal
  const what = typeof detector === 'string' ? detector : 'the IPv4 detector'
  let answer: string
  try {
    answer =
      typeof detector === 'string' ? await fetchText(detector, signal) : await detector({ signal })
  } catch (err) {
    if (timeout.signal.aborted) {
      throw new GatehouseError(
        'ERR_TIMEOUT',
        `${what} gave no IPv4 address within ${timeoutMs} ms`,
        { cause: err },
      )
    }
    throw new GatehouseError(
      'ERR_CONFIG',
      `${what} failed: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    )
  } finally {
    clearTimeout(timer)
  }
  const address = String(answer).trim()
  if (!isIPv4(address)) {
    throw new GatehouseError(
      'ERR_CONFIG',
      `${what} answered ${JSON.stringify(address.slice(0, 64))}, not an IPv4 address`,
    )
  }
  if (!isPublicIpv4(address)) {
    throw new GatehouseError(
      'ERR_CONFIG',
      `${what} answered ${address}, which is not a public address (RFC 6890); no CA can validate it`,
    )
  }
  return address
}

async function fetchText(url: string, signal: AbortSignal): Promise<string> {
  if (!/^https?:\/\//.test(url)) throw new Error('the detector URL must be http:// or https://')
  const res = await fetch(url, { signal, redirect: 'follow', headers: { accept: 'text/plain' } })
  const body = await res.text()
  if (res.status < 200 || res.status > 299) throw new Error(`answered HTTP ${res.status}`)
  if (body.length > MAX_ANSWER_BYTES)
    throw new Error(`answered ${body.length} bytes, not an address`)
  return body
}

/** RFC 6890 special-purpose IPv4 blocks (and multicast, reserved, broadcast): never a public address. */
const SPECIAL: readonly (readonly [prefix: string, bits: number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]

/** Whether a dotted-quad IPv4 address is public unicast. */
export function isPublicIpv4(address: string): boolean {
  const value = toNumber(address)
  return !SPECIAL.some(
    ([prefix, bits]) => value >>> (32 - bits) === toNumber(prefix) >>> (32 - bits),
  )
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}
