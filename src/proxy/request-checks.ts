/**
 * Checks on a parsed request before it is routed: the framing and host rules that keep a request
 * from meaning one thing to us and another to the upstream (request smuggling). Pure.
 *
 * The HTTP/1.1 head parser (request-head.ts) already refuses bare CR/LF, NUL, obs-fold, Content-Length
 * with Transfer-Encoding and repeated Content-Lengths, and the body framing bad chunk sizes;
 * test/integration/proxy-smuggling.test.ts pins each case. What they let through is checked here.
 */
import { isPathRefusal, normalizeTarget } from './normalize-path.js'
import { normalizeHost } from './router.js'

export interface Refusal {
  status: number
  message: string
  /** HTTP/1.1: close the connection after the answer (the framing can no longer be trusted). */
  close: boolean
  /** On a 421 only: the (normalised) host the request named, so its site can log the refusal. */
  host?: string
}

export interface CheckedRequest {
  /** Normalised host, for routing. */
  host: string
  /** The Host value as sent (port included), for X-Forwarded-Host and the upstream Host. */
  rawHost: string
  /**
   * Origin-form path and query, normalised (see normalize-path.ts): what routing matches and what
   * is sent upstream.
   */
  path: string
}

/**
 * HTTP/1.x: `version` is `1.1` or `1.0` (anything else is refused), `url` the request-target, `raw`
 * the flat header list, `sni` the TLS server name.
 */
export function checkHttp1Request(
  version: string,
  url: string,
  raw: readonly string[],
  sni: string | undefined,
): CheckedRequest | Refusal {
  // llhttp reads `HTTP/2.0` and a missing version (HTTP/0.9) too; we forward HTTP/1.1 only.
  if (version !== '1.1' && version !== '1.0')
    return refuse(505, `HTTP/${version} is not supported; use HTTP/1.1 or HTTP/2`)
  let hostValue: string | undefined
  let hosts = 0
  let te: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++
      hostValue = raw[i + 1]
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      te = te === undefined ? raw[i + 1] : `${te}, ${raw[i + 1]}`
    }
  }
  // RFC 9112 §3.2: exactly one Host; two could route on one and be read upstream from the other.
  if (hosts !== 1)
    return refuse(400, hosts === 0 ? 'missing Host header' : 'more than one Host header')
  // RFC 9112 §6.1: HTTP/1.0 has no chunked framing; such a message's framing is faulty.
  if (te !== undefined && version === '1.0')
    return refuse(400, 'Transfer-Encoding in an HTTP/1.0 request')
  // RFC 9112 §6.1: the only coding we can frame is chunked; anything else we do not implement.
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked')
    return refuse(501, `Transfer-Encoding ${JSON.stringify(te)} is not supported; send chunked`)
  const target = originForm(url)
  if (target === undefined) return refuse(400, 'bad request-target')
  const host = normalizeHost(hostValue)
  if (host === undefined) return refuse(400, 'bad Host header')
  // RFC 9112 §3.2.2: an absolute-form target names the host; it must agree with Host.
  if (target.authority !== undefined && normalizeHost(target.authority) !== host)
    return refuse(400, 'request-target host differs from Host')
  const misdirected = checkSni(host, sni)
  if (misdirected) return misdirected
  const path = normalizeTarget(target.path)
  // The framing is sound: the connection may serve the next request.
  if (isPathRefusal(path)) return refuse(400, path.refused, false)
  return { host, rawHost: hostValue as string, path }
}

/** HTTP/2: `authority` is `:authority`, `hostHeader` a Host field if the client sent one as well. */
export function checkHttp2Request(
  authority: string | undefined,
  hostHeader: string | undefined,
  path: string | undefined,
  sni: string | undefined,
): CheckedRequest | Refusal {
  const rawHost = authority ?? hostHeader
  const host = normalizeHost(rawHost)
  if (host === undefined) return refuse(400, 'missing or bad :authority')
  // RFC 9113 §8.3.1: Host and :authority must name the same thing.
  if (authority !== undefined && hostHeader !== undefined && normalizeHost(hostHeader) !== host)
    return refuse(400, 'Host differs from :authority')
  if (path === undefined || path.charCodeAt(0) !== 0x2f /* / */) return refuse(400, 'bad :path')
  const misdirected = checkSni(host, sni)
  if (misdirected) return misdirected
  const normal = normalizeTarget(path)
  if (isPathRefusal(normal)) return refuse(400, normal.refused, false)
  return { host, rawHost: rawHost as string, path: normal }
}

/**
 * RFC 9110 §7.4 and §15.5.20: a request for a host other than the one the TLS connection was made
 * for gets 421, so a client cannot reach one site through another site's handshake (and a browser
 * that coalesced connections retries on a new one). Connections without SNI (an IP address in the
 * URL) are not checked: there is no name to compare.
 */
function checkSni(host: string, sni: string | undefined): Refusal | undefined {
  if (!sni) return undefined
  const name = sni.length > 0 && sni.endsWith('.') ? sni.slice(0, -1) : sni
  if (name.toLowerCase() === host) return undefined
  return {
    ...refuse(421, `this connection is for ${name.toLowerCase()}, not ${host}`, false),
    host,
  }
}

/** Origin-form (`/p?q`) as is; absolute-form reduced to its path and authority; else undefined. */
function originForm(url: string): { path: string; authority?: string } | undefined {
  if (url.charCodeAt(0) === 0x2f /* / */) return { path: url }
  const m = /^https?:\/\/([^/?#]*)([^#]*)$/i.exec(url)
  if (!m) return undefined
  const authority = m[1] as string
  if (authority.includes('@')) return undefined
  const rest = m[2] as string
  return { authority, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest }
}

function refuse(status: number, message: string, close = true): Refusal {
  return { status, message, close }
}

export function isRefusal(r: CheckedRequest | Refusal): r is Refusal {
  return (r as Refusal).status !== undefined
}
