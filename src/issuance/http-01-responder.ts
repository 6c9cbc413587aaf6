import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ChallengeContext } from './challenge-solver.js'
import type { ChallengeStore } from './challenge-store.js'

/** RFC 8555 §8.3: the path prefix the CA fetches. */
export const HTTP01_PREFIX = '/.well-known/acme-challenge/'

/** RFC 8555 §8.3: a token is base64url, at least 128 bits of entropy (22 characters). */
const TOKEN = /^[A-Za-z0-9_-]{22,}$/

/**
 * In-memory HTTP-01 answers, shared by the standalone solver and (later) Gatehouse's own HTTP
 * listener. `handle` answers exactly `GET|HEAD /.well-known/acme-challenge/<token>` for a token that is
 * pending for the request's Host, and nothing else.
 *
 * With a {@link ChallengeStore}, a token not pending in this process is looked up there (another
 * worker or instance may have asked for the certificate); such requests are answered 200 or 404.
 */
export class Http01Responder {
  readonly #store: ChallengeStore | undefined

  constructor(options: { store?: ChallengeStore } = {}) {
    this.#store = options.store
  }

  // token → (identifier key → key authorization). One token is unique per challenge in practice, but
  // keeping the identifier lets us refuse a Host that is not the one being validated.
  readonly #answers = new Map<string, Map<string, string>>()

  add(challenge: ChallengeContext): void {
    let byHost = this.#answers.get(challenge.token)
    if (!byHost) this.#answers.set(challenge.token, (byHost = new Map<string, string>()))
    byHost.set(hostKey(challenge.identifier.value), challenge.keyAuthorization)
  }

  remove(challenge: ChallengeContext): void {
    const byHost = this.#answers.get(challenge.token)
    byHost?.delete(hostKey(challenge.identifier.value))
    if (byHost?.size === 0) this.#answers.delete(challenge.token)
  }

  get size(): number {
    return this.#answers.size
  }

  /** The key authorization for `path` and `host` (a Host header value), or undefined. */
  lookup(method: string, path: string, host: string | undefined): string | undefined {
    const token = challengeToken(method, path, host)
    const byHost = token === undefined ? undefined : this.#answers.get(token)
    return host === undefined ? undefined : byHost?.get(hostKey(stripPort(host)))
  }

  /** Answers the request if it is a pending challenge and returns true; otherwise returns false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? ''
    const keyAuth = this.lookup(method, req.url ?? '', req.headers.host)
    if (keyAuth !== undefined) {
      answer(req, res, keyAuth)
      return true
    }
    const token = this.#store ? challengeToken(method, req.url ?? '', req.headers.host) : undefined
    if (token === undefined || this.#store === undefined) return false
    const host = hostKey(stripPort(req.headers.host ?? ''))
    this.#store.http01(token).then(
      (stored) => {
        if (stored && hostKey(stored.identifier.value) === host)
          answer(req, res, stored.keyAuthorization)
        else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such challenge\n')
      },
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('challenge storage failed\n'),
    )
    return true
  }
}

/** The token of a request that could be a challenge fetch (GET/HEAD, prefix, token syntax, a Host). */
function challengeToken(
  method: string,
  path: string,
  host: string | undefined,
): string | undefined {
  if ((method !== 'GET' && method !== 'HEAD') || host === undefined) return undefined
  if (!path.startsWith(HTTP01_PREFIX)) return undefined
  const token = path.slice(HTTP01_PREFIX.length)
  return TOKEN.test(token) ? token : undefined
}

function answer(req: IncomingMessage, res: ServerResponse, keyAuth: string): void {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': Buffer.byteLength(keyAuth),
    'cache-control': 'no-store',
  })
  res.end(req.method === 'HEAD' ? undefined : keyAuth)
}

function hostKey(host: string): string {
  return host.toLowerCase().replace(/\.$/, '')
}

/** `example.com:80` → `example.com`; `[::1]:80` → `::1`; `::1` stays. */
export function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end > 0 ? host.slice(1, end) : host
  }
  const colon = host.indexOf(':')
  if (colon !== host.lastIndexOf(':')) return host // bare IPv6
  return colon >= 0 ? host.slice(0, colon) : host
}
