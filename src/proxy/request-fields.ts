/**
 * Reading a request's fields, for the gateway and the WebSocket paths: the first of a repeated
 * HTTP/2 field, the connection's SNI name and peer address, Host, Cookie and node-style header
 * objects from a flat list, and HTTP/2 fields as the flat list HTTP/1.1 uses.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { TLSSocket } from 'node:tls'

export function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/** The TLS SNI name of the connection, if the client sent one. */
export function serverName(socket: TLSSocket | undefined): string | undefined {
  const name = socket?.servername
  return typeof name === 'string' && name.length > 0 ? name : undefined
}

/** A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`; logs and X-Forwarded-For want `a.b.c.d`. */
export function peerOf(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** The Host field as sent, for the log of a refused request (empty when there is none). */
export function hostField(raw: readonly string[]): string {
  for (let i = 0; i < raw.length; i += 2)
    if ((raw[i] as string).toLowerCase() === 'host') return raw[i + 1] as string
  return ''
}

/** The Cookie field(s) of a flat list, joined with `; ` (RFC 9113 §8.2.3), for sticky upstreams. */
export function cookieField(raw: readonly string[]): string | undefined {
  let cookie: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length !== 6 || name.toLowerCase() !== 'cookie') continue
    cookie = cookie === undefined ? raw[i + 1] : `${cookie}; ${raw[i + 1] as string}`
  }
  return cookie
}

/**
 * A flat field list as node:http's headers object: lower-case names, repeated fields joined with
 * `, ` (RFC 9110 §5.3), `set-cookie` as a list and `cookie` joined with `; `.
 */
export function headersObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    const value = raw[i + 1] as string
    const prev = out[name]
    if (prev === undefined) out[name] = name === 'set-cookie' ? [value] : value
    else if (Array.isArray(prev)) prev.push(value)
    else out[name] = `${prev}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  return out
}

export function cookieOf(headers: IncomingHttpHeaders): string | undefined {
  const c = headers.cookie
  return Array.isArray(c) ? c.join('; ') : c
}

/** HTTP/2 fields as a flat list without pseudo-headers (Node joins repeated `cookie` with `; `). */
export function flatten(headers: IncomingHttpHeaders): string[] {
  const out: string[] = []
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a /* : */) continue
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const item of v) out.push(name, item)
    else out.push(name, v)
  }
  return out
}
