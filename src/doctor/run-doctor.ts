import { isIP } from 'node:net'
import { systemClock, type Clock } from '../clock.js'
import { KNOWN_DIRECTORIES } from '../manager/ca-directories.js'
import { checkAcme } from './acme-check.js'
import { ok, type CheckResult } from './check-result.js'
import { checkAddresses, checkCaa, type DnsClient } from './dns-checks.js'
import { checkHome } from './home-check.js'
import { checkPort } from './port-check.js'

export interface DoctorOptions {
  /** The name (or IP address) a certificate is wanted for. */
  name: string
  home: string
  directoryUrl: string
  /** Extra roots for the ACME server's HTTPS. */
  caCerts: string[]
  dns: DnsClient
  /** The listeners to try binding: HTTP (80) and HTTPS (443) by default. */
  ports: { host: string; port: number }[]
  /** The CA's issuer domain names for CAA; default: the directory's `meta.caaIdentities`. */
  caaIdentities?: readonly string[]
  /** The running gatehouse's pid, whose listeners count as bound by us. */
  serverPid?: number
  clock?: Clock
  signal?: AbortSignal
}

/** Let's Encrypt's CAA name (https://letsencrypt.org/docs/caa/), for its directories. */
const LETS_ENCRYPT_CAA = 'letsencrypt.org'

/**
 * Everything that stands between this machine and a certificate for `name`, one result per check,
 * in the order a user fixes them: the home folder, the ACME directory and the clock, DNS (A/AAAA)
 * and CAA, then the ports. Never throws for a failed check.
 */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const clock = options.clock ?? systemClock
  const results: CheckResult[] = [await checkHome(options.home)]
  const acme = await checkAcme(options.directoryUrl, {
    caCerts: options.caCerts,
    clock,
    ...(options.signal ? { signal: options.signal } : {}),
  })
  results.push(...acme.results)
  if (isIP(options.name) !== 0) {
    results.push(ok('dns', `${options.name} is an IP address: no DNS records are needed`))
  } else {
    const identities = options.caaIdentities?.length
      ? options.caaIdentities
      : (acme.caaIdentities ?? defaultIdentities(options.directoryUrl))
    results.push(await checkAddresses(options.name, options.dns))
    results.push(await checkCaa(options.name, options.dns, identities))
  }
  for (const address of options.ports) results.push(await checkPort(address, options.serverPid))
  return results
}

function defaultIdentities(directoryUrl: string): string[] {
  const known = Object.entries(KNOWN_DIRECTORIES).find(([, url]) => url === directoryUrl)
  return known?.[0].startsWith('letsencrypt') ? [LETS_ENCRYPT_CAA] : []
}
