/**
 * An upstream as written in a route's `proxy`: `host:port` (plain HTTP), `http://host:port[/prefix]`
 * or `https://host[:port][/prefix]`; IPv6 addresses in brackets (`[::1]:8080`). Normalised to a URL
 * with no trailing slash.
 */
import { isIP } from 'node:net'

const HOST = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i

/** What an upstream may look like, for error messages. */
export const UPSTREAM_HINT =
  '"host:port", "http://host:port" or "https://host[:port]", with an optional path prefix'

/** Parses one upstream into a `http(s)://host:port[/prefix]` URL; throws a RangeError saying why not. */
export function parseUpstream(input: string): string {
  const text = input.trim()
  const bad = (why: string): never => {
    throw new RangeError(`upstream ${JSON.stringify(input)} ${why}; give ${UPSTREAM_HINT}`)
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
  if (!withScheme) {
    const m = /^(\[[^\]]+\]|[^:/[\]]+):(\d{1,5})$/.exec(text)
    if (!m) bad(text.includes(':') || /^[\w.-]+$/.test(text) ? 'needs a port' : 'is not host:port')
    return parseUpstream(`http://${text}`)
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return bad('is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`has scheme ${url.protocol}`)
  if (url.username || url.password)
    bad('holds credentials (set an Authorization header with header_up instead)')
  if (url.search || url.hash || text.includes('?') || text.includes('#'))
    bad('has a query or fragment')
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (!isIP(host) && !HOST.test(host)) bad(`has a bad host name ${JSON.stringify(url.hostname)}`)
  if (url.port === '0') bad('has port 0')
  const prefix = url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//${url.host}${prefix}`
}
