import { performance } from 'node:perf_hooks'
import { parseDirectory } from '../acme/directory.js'
import { AcmeHttp, headerOf, jsonOf } from '../acme/http.js'
import type { Directory } from '../acme/types.js'
import type { Clock } from '../clock.js'
import { fail, ok, warn, type CheckResult } from './check-result.js'

/** Clock skew above which `doctor` warns: ACME servers and certificate validity tolerate less. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

export interface AcmeCheck {
  /** The `acme` line, then the `clock` line when the CA answered with a Date header. */
  results: CheckResult[]
  /** RFC 8555 §7.1.1 `meta.caaIdentities`: the CA's names in CAA records, when it says. */
  caaIdentities?: string[]
}

/**
 * Fetches the ACME directory (RFC 8555 §7.1.1) with the given extra roots, and compares the clock
 * with the response's Date header (RFC 9110 §6.6.1): a clock off by minutes breaks JWS nonces'
 * freshness, certificate validity checks and the renewal schedule.
 */
export async function checkAcme(
  directoryUrl: string,
  options: { caCerts: string[]; clock: Clock; signal?: AbortSignal },
): Promise<AcmeCheck> {
  const { clock } = options
  const http = new AcmeHttp({ caCerts: options.caCerts, now: () => clock.now() })
  try {
    const sent = clock.now()
    const started = performance.now()
    let res: Awaited<ReturnType<AcmeHttp['request']>>
    let directory: Directory
    try {
      res = await http.request(
        'GET',
        directoryUrl,
        options.signal ? { signal: options.signal } : {},
      )
      directory = parseDirectory(jsonOf(res), directoryUrl)
    } catch (err) {
      return { results: [unreachable(directoryUrl, err)] }
    }
    const ms = Math.round(performance.now() - started)
    const ari = directory.renewalInfo ? ', with ARI' : ''
    const results = [ok('acme', `${directoryUrl} answers (${ms} ms${ari})`)]
    const clockLine = checkClock(headerOf(res, 'date'), sent, clock.now())
    if (clockLine) results.push(clockLine)
    const ids = directory.meta?.caaIdentities
    return { results, ...(ids?.length ? { caaIdentities: ids } : {}) }
  } finally {
    await http.close()
  }
}

/**
 * Our clock against the server's Date header, taken as the middle of the request. The header has
 * whole seconds, so up to a second plus half the round trip is noise, not skew.
 */
export function checkClock(
  date: string | undefined,
  sentMs: number,
  receivedMs: number,
): CheckResult | undefined {
  if (date === undefined) return undefined
  const server = Date.parse(date)
  if (Number.isNaN(server)) return undefined
  const skew = server - (sentMs + receivedMs) / 2
  const seconds = Math.round(Math.abs(skew) / 1000)
  const direction = skew > 0 ? 'behind' : 'ahead of'
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return warn(
      'clock',
      `this clock is ${seconds} s ${direction} the ACME server's (Date: ${date})`,
      'enable time synchronisation: sudo timedatectl set-ntp true (or install chrony)',
    )
  }
  return ok('clock', `within ${Math.max(1, seconds)} s of the ACME server's`)
}

function unreachable(url: string, err: unknown): CheckResult {
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)
  const tls = /certificate|self.signed|unable to verify/i.test(
    `${message} ${err instanceof Error && err.cause instanceof Error ? err.cause.message : ''}`,
  )
  const fix = tls
    ? "the server's certificate is not trusted: give its root with --acme-ca-cert FILE"
    : 'check the URL (--acme-directory), the network and any proxy or firewall on the way'
  return fail('acme', `${url} does not answer as an ACME directory: ${message}`, fix)
}
