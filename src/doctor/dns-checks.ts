import { Resolver } from 'node:dns/promises'
import { isIP } from 'node:net'
import { formatHostPort, parseHostPort } from '../issuance/dns/host-port.js'
import { evaluateCaa, findRelevantCaa, type CaaRecord } from './caa.js'
import { fail, ok, warn, type CheckResult } from './check-result.js'

/** The lookups doctor makes; `dns.promises.Resolver` is one. */
export interface DnsClient {
  resolve4(name: string): Promise<string[]>
  resolve6(name: string): Promise<string[]>
  resolveCaa(name: string): Promise<CaaRecord[]>
}

/** How long one lookup may take, and how often it is sent, before the check reports the resolver. */
const LOOKUP_TIMEOUT_MS = 2000
const LOOKUP_TRIES = 2

/** A resolver asking `server` (`host:port`, an IP address) or the system's resolvers. */
export function createDnsClient(server?: string): DnsClient {
  const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: LOOKUP_TRIES })
  if (server !== undefined) {
    const hp = parseHostPort(server)
    if (isIP(hp.host) === 0) {
      throw new RangeError(`--dns-resolver ${server} must be an IP address with an optional port`)
    }
    resolver.setServers([formatHostPort(hp)])
  }
  return resolver as unknown as DnsClient
}

/** Answers that mean "no such records" rather than "could not find out". */
const EMPTY = new Set(['ENODATA', 'ENOTFOUND'])

async function orEmpty<T>(lookup: Promise<T[]>): Promise<T[]> {
  try {
    return await lookup
  } catch (err) {
    if (EMPTY.has((err as NodeJS.ErrnoException).code ?? '')) return []
    throw err
  }
}

/** A and AAAA records of `name`: the addresses a CA connects to for HTTP-01 and TLS-ALPN-01. */
export async function checkAddresses(name: string, dns: DnsClient): Promise<CheckResult> {
  if (name.startsWith('*.')) {
    return ok('dns', `${name} is a wildcard: it needs the dns-01 challenge, no address is checked`)
  }
  let v4: string[]
  let v6: string[]
  try {
    ;[v4, v6] = await Promise.all([orEmpty(dns.resolve4(name)), orEmpty(dns.resolve6(name))])
  } catch (err) {
    return lookupFailed('dns', `A/AAAA of ${name}`, err)
  }
  if (v4.length + v6.length === 0) {
    return fail(
      'dns',
      `${name} has no A or AAAA record`,
      `add an A (and AAAA) record for ${name} pointing at this server's public address`,
    )
  }
  return ok('dns', `${name} resolves to ${[...v4, ...v6].join(', ')}`)
}

/**
 * RFC 8659: finds the relevant CAA RRset for `name` and whether the CA (`identities`, its issuer
 * domain names) may issue. With the CA's identity unknown, a restrictive RRset is a warning.
 */
export async function checkCaa(
  name: string,
  dns: DnsClient,
  identities: readonly string[],
): Promise<CheckResult> {
  let relevant: Awaited<ReturnType<typeof findRelevantCaa>>
  try {
    relevant = await findRelevantCaa(name, (n) => orEmpty(dns.resolveCaa(n)))
  } catch (err) {
    return lookupFailed('caa', `CAA for ${name}`, err)
  }
  const wildcard = name.startsWith('*.')
  if (relevant.at === undefined)
    return ok('caa', `no CAA records for ${name} or its parents: any CA may issue`)
  const decision = evaluateCaa(relevant.records, identities, wildcard)
  const where = `CAA at ${relevant.at}`
  if (identities.length === 0) {
    if (decision.allows.length === 0 && decision.allowed)
      return ok('caa', `${where}: any CA may issue`)
    return warn(
      'caa',
      `${where} allows only ${decision.allows.join(', ') || 'no CA'}; the CA's own name is unknown`,
      "give the CA's CAA name with --caa-identity (e.g. letsencrypt.org)",
    )
  }
  const who = identities.join(' or ')
  if (decision.allowed) return ok('caa', `${where} lets ${who} issue (${decision.reason})`)
  const tag = wildcard ? 'issuewild' : 'issue'
  return fail(
    'caa',
    `${where} forbids ${who} to issue for ${name} (${decision.reason})`,
    `add the record: ${relevant.at}. CAA 0 ${tag} "${identities[0] ?? ''}"`,
  )
}

function lookupFailed(check: string, what: string, err: unknown): CheckResult {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
  return fail(
    check,
    `looking up ${what} failed (${code})`,
    'check the DNS servers for the zone (a CA refuses to issue when it cannot look up CAA) or --dns-resolver',
  )
}
