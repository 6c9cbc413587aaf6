import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ChallengeContext } from './challenge-solver.js'

/** RFC 8555 §8.3: the path prefix the CA fetches. */
export const HTTP01_PREFIX = '/.well-known/acme-challenge/'

/** RFC 8555 §8.3: a token is base64url, at least 128 bits of entropy (22 characters). */
const TOKEN = /^[A-Za-z0-9_-]{22,}$/

/**
 * In-memory HTTP-01 answers, shared by the standalone solver and (later) Gatehouse's own HTTP
 * listener. `handle` answers exactly `GET|HEAD /.well-known/acme-challenge/<token>` for a token that is
 * pending for the request's Host, and nothing else.
 */
export class Http01Responder {
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
    if (method !== 'GET' && method !== 'HEAD') return undefined
    if (!path.startsWith(HTTP01_PREFIX)) return undefined
    const token = path.slice(HTTP01_PREFIX.length)
    if (!TOKEN.test(token)) return undefined
    const byHost = this.#answers.get(token)
    if (!byHost || host === undefined) return undefined
    return byHost.get(hostKey(stripPort(host)))
  }

  /** Answers the request if it is a pending challenge and returns true; otherwise returns false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const keyAuth = this.lookup(req.method ?? '', req.url ?? '', req.headers.host)
    if (keyAuth === undefined) return false
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': Buffer.byteLength(keyAuth),
      'cache-control': 'no-store',
    })
    res.end(req.method === 'HEAD' ? undefined : keyAuth)
    return true
  }
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
