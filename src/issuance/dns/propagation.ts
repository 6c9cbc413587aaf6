/**
 * Waiting for a DNS-01 TXT record to be visible before telling the CA to look (RFC 8555 §8.4): asking
 * the CA too early fails the authorization, and a failed authorization cannot be retried.
 */
import { Resolver, getServers } from 'node:dns'
import { isIP } from 'node:net'
import { systemClock, type Clock } from '../../clock.js'
import { GatehouseError, throwIfAborted } from '../../errors.js'
import { formatHostPort, parseHostPort } from './host-port.js'
import { checkMs, rejectUnknownOptions } from './options.js'

export { formatHostPort, parseHostPort, type HostPort } from './host-port.js'

export interface WaitForTxtOptions {
  /** The resolver to ask, `host:port` or `[v6]:port` (an IP address). Default: the system resolvers. */
  resolver?: string
  /** How long to keep checking, in milliseconds. Default 120 000. */
  timeoutMs?: number
  /** Pause between checks, in milliseconds; the first check is immediate. Default 2 000. */
  intervalMs?: number
  /** The time source for the schedule. Default: the system clock. */
  clock?: Clock
  signal?: AbortSignal
}

const OPTION_KEYS = ['resolver', 'timeoutMs', 'intervalMs', 'clock', 'signal'] as const
const DEFAULT_TIMEOUT_MS = 120_000
const DEFAULT_INTERVAL_MS = 2_000
/** Checks before giving up, whatever the timeout: a runaway clock must not loop forever. */
export const MAX_PROPAGATION_CHECKS = 1_000
/** Time one lookup try may take (capped by the overall timeout), in milliseconds, and its tries. */
const LOOKUP_TIMEOUT_MS = 2_000
const LOOKUP_TRIES = 2

/** What a single lookup saw: the TXT values at the name, or the resolver's error code. */
type Seen = { values: string[] } | { error: string }

/**
 * Resolves once `value` is among the TXT values at `fqdn` as seen by `resolver`. Rejects with
 * `ERR_DNS_PROPAGATION` on timeout, naming the name, the resolver and what it saw last.
 */
export async function waitForTxt(
  fqdn: string,
  value: string,
  options: WaitForTxtOptions = {},
): Promise<void> {
  rejectUnknownOptions('waitForTxt', options, OPTION_KEYS)
  const timeoutMs = checkMs('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS)
  const intervalMs = checkMs('intervalMs', options.intervalMs, DEFAULT_INTERVAL_MS)
  const server = options.resolver === undefined ? undefined : resolverAddress(options.resolver)
  const clock = options.clock ?? systemClock
  const name = fqdn.endsWith('.') ? fqdn.slice(0, -1) : fqdn
  const deadline = clock.now() + timeoutMs
  let seen: Seen = { error: 'no lookup made' }
  let checks = 0
  for (; checks < MAX_PROPAGATION_CHECKS; checks++) {
    throwIfAborted(options.signal)
    seen = await lookupTxt(name, server, Math.min(LOOKUP_TIMEOUT_MS, timeoutMs), options.signal)
    if ('values' in seen && seen.values.includes(value)) return
    const remaining = deadline - clock.now()
    if (remaining <= 0) break
    await clock.sleep(Math.min(intervalMs, remaining), options.signal)
  }
  const where = server ?? `the system resolver (${getServers().join(', ') || 'none configured'})`
  const saw =
    'values' in seen
      ? seen.values.length === 0
        ? 'no TXT values'
        : `TXT ${seen.values.map((v) => JSON.stringify(v)).join(', ')}`
      : `error ${seen.error}`
  throw new GatehouseError(
    'ERR_DNS_PROPAGATION',
    `TXT ${JSON.stringify(value)} at ${canonical(fqdn)} not visible at ${where} after ${timeoutMs} ms (${checks + 1} checks); last saw ${saw}`,
  )
}

function canonical(fqdn: string): string {
  return fqdn.endsWith('.') ? fqdn : `${fqdn}.`
}

/** `Resolver.setServers` takes only IP addresses; say so here rather than deep inside c-ares. */
function resolverAddress(text: string): string {
  const hp = parseHostPort(text)
  if (isIP(hp.host) === 0) {
    throw new RangeError(
      `resolver "${text}" must be an IP address with an optional port, e.g. 127.0.0.1:53`,
    )
  }
  return formatHostPort(hp)
}

/**
 * One TXT lookup through a fresh `Resolver`: c-ares caches answers (negative ones too, for the SOA
 * minimum), so a long-lived resolver could keep reporting the record missing after it appeared.
 */
async function lookupTxt(
  name: string,
  server: string | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Seen> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: LOOKUP_TRIES })
  if (server !== undefined) resolver.setServers([server])
  const cancel = (): void => resolver.cancel()
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    const records = await new Promise<string[][]>((resolve, reject) =>
      resolver.resolveTxt(name, (err, rr) => (err ? reject(err) : resolve(rr))),
    )
    // A TXT RR is one logical value split into 255-byte strings (RFC 1035 §3.3.14); join them back.
    return { values: records.map((chunks) => chunks.join('')) }
  } catch (err) {
    throwIfAborted(signal)
    const code = (err as NodeJS.ErrnoException).code
    // ENODATA: the name exists but has no TXT; report it as an empty set, which is what it means.
    if (code === 'ENODATA') return { values: [] }
    return { error: typeof code === 'string' ? code : String(err) }
  } finally {
    signal?.removeEventListener('abort', cancel)
  }
}
