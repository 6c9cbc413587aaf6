import { isIPv6 } from 'node:net'

/** A DNS server address. `host` is an IP address or a name, without brackets. */
export interface HostPort {
  readonly host: string
  readonly port: number
}

/** The DNS port (RFC 1035 §4.2). */
export const DNS_PORT = 53

/**
 * Parses `host:port`, `[v6]:port`, a bare IPv4/IPv6 address or a bare host name (port 53). A bare
 * IPv6 address has several colons, so only the bracketed form can carry a port.
 */
export function parseHostPort(s: string): HostPort {
  if (typeof s !== 'string' || s.trim() === '') {
    throw new RangeError(`DNS server "${String(s)}" is empty; use host:port, e.g. 127.0.0.1:53`)
  }
  let host: string
  let portText: string | undefined
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    const rest = s.slice(close + 1)
    if (close < 0 || (rest !== '' && !rest.startsWith(':'))) {
      throw new RangeError(`DNS server "${s}" is not valid; write an IPv6 address as [::1]:53`)
    }
    host = s.slice(1, close)
    portText = rest === '' ? undefined : rest.slice(1)
    if (!isIPv6(host)) throw new RangeError(`DNS server "${s}" has "${host}" in brackets, not IPv6`)
  } else if (isIPv6(s)) {
    host = s
  } else {
    const colon = s.lastIndexOf(':')
    host = colon < 0 ? s : s.slice(0, colon)
    portText = colon < 0 ? undefined : s.slice(colon + 1)
    if (host === '' || host.includes(':') || /\s/.test(host)) {
      throw new RangeError(`DNS server "${s}" has no valid host; use host:port, e.g. 127.0.0.1:53`)
    }
  }
  return { host, port: portText === undefined ? DNS_PORT : parsePort(s, portText) }
}

function parsePort(s: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port >= 1 && port <= 65535)) {
    throw new RangeError(`DNS server "${s}" has port "${text}"; use a port from 1 to 65535`)
  }
  return port
}

/** `host:port`, bracketing IPv6 so the text can be parsed again (and given to `Resolver`). */
export function formatHostPort(hp: HostPort): string {
  return isIPv6(hp.host) ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`
}
