/**
 * Reading a request's fields, for the gateway and the WebSocket paths: the first of a repeated
 * HTTP/2 field, the connection's SNI name and peer address, the HTTP/1.1 framing fields, and HTTP/2
 * fields as the flat list HTTP/1.1 uses.
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

export interface FramingFields {
  contentLength: string | undefined
  chunked: boolean
  expectContinue: boolean
  cookie: string | undefined
}

/**
 * The fields the gateway reads from an HTTP/1.1 head, found by name length first (most names are
 * ruled out without lower-casing). llhttp already refused conflicting Content-Lengths.
 */
export function framingFields(raw: readonly string[]): FramingFields {
  const out: FramingFields = {
    contentLength: undefined,
    chunked: false,
    expectContinue: false,
    cookie: undefined,
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const n = name.length
    if (n !== 6 && n !== 14 && n !== 17) continue
    const lower = name.toLowerCase()
    const value = raw[i + 1] as string
    if (lower === 'content-length') out.contentLength ??= value
    else if (lower === 'transfer-encoding') out.chunked = true
    // RFC 9110 §10.1.1: the only expectation defined.
    else if (lower === 'expect') out.expectContinue = value.toLowerCase() === '100-continue'
    else if (lower === 'cookie')
      out.cookie = out.cookie === undefined ? value : `${out.cookie}; ${value}`
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
