/**
 * The upstreams one request tries, and what a failed attempt means for passive health and for a
 * retry: the one policy of both proxy paths, plain requests (proxy-exchange.ts) and WebSocket
 * handshakes (upgrade.ts). Each path says how an attempt failed in its own terms; the decision is
 * taken here.
 */
import { isConnectFailure } from './connect-failure.js'
import type { ProxyRoute } from './types.js'
import type { Pick, Upstream, UpstreamGroup } from './upstream-group.js'

/** How an attempt failed before any of the upstream's answer reached the client. */
export type AttemptFailure =
  /**
   * The request never reached the upstream: the connection was refused, unreachable or timed out,
   * or its TLS handshake failed. Counts against the upstream; an idempotent request may be retried.
   */
  | 'connect'
  /** The request was sent and no answer head came within `responseTimeoutMs`. Counts; no retry. */
  | 'timeout'
  /** Anything else (a reset, a malformed answer): the upstream may have read the request. */
  | 'other'

/** An error from undici's dispatch, as an {@link AttemptFailure}. */
export function failureOf(err: unknown): AttemptFailure {
  if (isConnectFailure(err)) return 'connect'
  return (err as { code?: unknown } | null)?.code === 'UND_ERR_HEADERS_TIMEOUT'
    ? 'timeout'
    : 'other'
}

// RFC 9110 §9.2.2. Only these may be sent twice; and only when the first attempt never connected.
const IDEMPOTENT: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
])

/** What the policy needs to know of the request. */
export interface AttemptRequest {
  /** The method sent upstream. */
  method: string
  /** Whether the request has a body (then it is never sent twice). */
  hasBody: boolean
  /** For `ip_hash`. */
  clientIp: string
  /** The Cookie field(s), for `cookie` stickiness. */
  cookie: string | undefined
}

export class UpstreamAttempts {
  readonly #group: UpstreamGroup
  readonly #route: ProxyRoute
  readonly #req: AttemptRequest
  #tried: Set<Upstream> | undefined
  #retries = 0

  constructor(group: UpstreamGroup, route: ProxyRoute, req: AttemptRequest) {
    this.#group = group
    this.#route = route
    this.#req = req
  }

  /** The upstream for the next attempt, never one tried before; undefined when none is healthy. */
  next(): Pick | undefined {
    const { clientIp, cookie } = this.#req
    // The gateway serves HTTPS only (plain HTTP is redirected): a sticky cookie is always Secure.
    return this.#group.pick({ clientIp, secure: true, cookie, exclude: this.#tried })
  }

  /**
   * The attempt on `upstream` failed (`err`, for the log of an ejection). Connect failures and
   * response timeouts count against the upstream (passive health). Returns whether another upstream
   * may be tried: after a connect failure only, for an idempotent request without a body, at most
   * `retries` times, while an untried upstream is left, and never once `answerBegun` (the client has
   * the start of an answer, which a retry could not replace; it is not counted as a retry).
   */
  failed(
    upstream: Upstream,
    failure: AttemptFailure,
    err: unknown,
    { answerBegun = false }: { answerBegun?: boolean } = {},
  ): boolean {
    if (failure !== 'other') this.#group.reportFailure(upstream, err)
    const tried = (this.#tried ??= new Set()).add(upstream)
    const retry =
      !answerBegun &&
      failure === 'connect' &&
      this.#retries < this.#route.retries &&
      !this.#req.hasBody &&
      IDEMPOTENT.has(this.#req.method) &&
      this.#route.upstreams.length > tried.size
    if (retry) this.#retries++
    return retry
  }

  /** The upstream answered (whatever the status): its recent failures no longer count. */
  answered(upstream: Upstream): void {
    this.#group.reportSuccess(upstream)
  }
}
