import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import { USER_AGENT } from '../version.js'
import type { ProxyRoute } from './types.js'

/**
 * Body bytes read from a check response; past this undici closes the connection rather than reading
 * on (a health endpoint answers in a few bytes, a misconfigured path might stream a large page).
 */
const MAX_CHECK_BODY_BYTES = 64 * 1024

export type HealthCheckOptions = NonNullable<ProxyRoute['healthCheck']>

/** What one check needs of an upstream. */
export interface CheckedUpstream {
  readonly url: URL
  readonly dispatcher: Dispatcher
}

/**
 * Checks one upstream every `intervalMs` until `signal` aborts, reporting each result (undefined when
 * the check passed, else why it failed). The first check runs at once; the next is scheduled only
 * after the previous one finished, so checks of a slow upstream never pile up.
 */
export async function runHealthChecks(
  upstream: CheckedUpstream,
  options: HealthCheckOptions,
  clock: Clock,
  signal: AbortSignal,
  report: (failure: string | undefined) => void,
): Promise<void> {
  while (!signal.aborted) {
    const failure = await checkOnce(upstream, options, clock, signal)
    if (signal.aborted) return
    report(failure)
    try {
      await clock.sleep(options.intervalMs, signal)
    } catch {
      return
    }
  }
}

/**
 * One check: `GET path` on the upstream's origin, passing when the status is `expectStatus` within
 * `timeoutMs` (headers and body). Returns undefined on success, else a short reason.
 */
export async function checkOnce(
  upstream: CheckedUpstream,
  options: HealthCheckOptions,
  clock: Clock,
  signal: AbortSignal,
): Promise<string | undefined> {
  const attempt = new AbortController()
  const stop = (): void => attempt.abort()
  signal.addEventListener('abort', stop, { once: true })
  let timedOut = false
  clock.sleep(options.timeoutMs, attempt.signal).then(
    () => {
      timedOut = true
      attempt.abort()
    },
    () => {},
  )
  try {
    const res = await upstream.dispatcher.request({
      origin: upstream.url.origin,
      path: options.path,
      method: 'GET',
      headers: { host: upstream.url.host, 'user-agent': USER_AGENT },
      signal: attempt.signal,
    })
    await res.body.dump({ limit: MAX_CHECK_BODY_BYTES, signal: attempt.signal })
    if (res.statusCode === options.expectStatus) return undefined
    return `GET ${options.path} answered ${res.statusCode}, expected ${options.expectStatus}`
  } catch (err) {
    if (timedOut) return `GET ${options.path} did not answer within ${options.timeoutMs} ms`
    return `GET ${options.path} failed: ${describeError(err)}`
  } finally {
    signal.removeEventListener('abort', stop)
    attempt.abort()
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && !err.message.includes(code)
    ? `${code} ${err.message}`
    : err.message
}
