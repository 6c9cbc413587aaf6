/** What an ask endpoint said about one name: `allowed` only for a 2xx answer. */
export interface AskAnswer {
  allowed: boolean
  /** The HTTP status, when there was an answer. */
  status?: number
  /** Why there was no answer (timeout, refused, bad URL), when there was none. */
  error?: string
}

/**
 * Caddy's on-demand `ask` convention: `GET <ask>?domain=<name>`; a 2xx answer allows issuance for
 * the name, anything else denies. Fail-closed: a redirect (not followed), a timeout or a network
 * error also deny. Never rejects. `name` must already be a checked, canonical name: it is put in the
 * query as is (percent-encoded by URLSearchParams).
 */
export async function askEndpoint(
  ask: string,
  name: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<AskAnswer> {
  const url = new URL(ask)
  url.searchParams.set('domain', name)
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal })
    // The body is not read; cancelling it frees the connection instead of leaving it half-read.
    await res.body?.cancel().catch(() => {})
    return { allowed: res.status >= 200 && res.status < 300, status: res.status }
  } catch (err) {
    const error = timeout.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : err instanceof Error
        ? ((err.cause as Error | undefined)?.message ?? err.message)
        : String(err)
    return { allowed: false, error }
  }
}
