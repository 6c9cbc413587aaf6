import { createHash } from 'node:crypto'

/**
 * The opaque id of an upstream in a sticky cookie: a hash of its label, so the cookie does not show
 * the upstream's address, and the same upstream gets the same id in every worker and after restarts
 * (an HMAC with a per-process key would break stickiness across workers and reloads). 16 base64url
 * characters (96 bits): valid cookie octets (RFC 6265 §4.1.1) that never collide in practice.
 */
export function stickyId(label: string): string {
  return createHash('sha256')
    .update(`gatehouse upstream\0${label}`)
    .digest('base64url')
    .slice(0, 16)
}

/**
 * The value of cookie `name` in a Cookie header (RFC 6265 §5.4: `a=1; b=2`; HTTP/2 clients may send
 * several crumbs, which arrive joined the same way). The first occurrence wins; surrounding DQUOTEs
 * are removed. Undefined when absent.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length === 0) return undefined
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      return unquote(header.slice(eq + 1, end).trim())
    }
    start = end + 1
  }
  return undefined
}

/**
 * The Set-Cookie value pinning a client to an upstream: a session cookie (no Expires, so it lasts as
 * long as the browser session), HttpOnly (scripts have no use for it), SameSite=Lax, scoped to the
 * route's path, and Secure when the request came over TLS.
 */
export function stickyCookie(name: string, id: string, path: string, secure: boolean): string {
  const scope = /^\/[\x21-\x3a\x3c-\x7e]*$/.test(path) ? path : '/'
  return `${name}=${id}; Path=${scope}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value
}
