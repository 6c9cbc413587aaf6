import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { createSecureContext, type SecureContext } from 'node:tls'
import { splitPemChain } from '../crypto/pem.js'
import { GatehouseError } from '../errors.js'
import type { ProxyRoute } from './types.js'

/** How connections to one https upstream are made. */
export interface UpstreamTls {
  /**
   * Built once per upstream and shared by all its connections: given `ca`, `tls.connect` would build a
   * context per connection and parse the CA each time (~45 ms of CPU measured with undici's
   * `connect: { ca }`), on the proxy's hot path whenever a pool opens a connection.
   */
  readonly secureContext: SecureContext
  /**
   * The SNI name sent (RFC 6066 §3) and the name the certificate is checked against: the configured
   * `servername`, else the upstream's host name. Undefined for an IP address without a configured
   * name: literal addresses are not allowed in SNI, and the certificate is checked against the IP.
   */
  readonly servername: string | undefined
  /** False only when the route says `verify = false`. */
  readonly rejectUnauthorized: boolean
}

/**
 * The TLS settings of an `https:` upstream, undefined for `http:`. `caFile` is read here, once; with
 * it, only that CA is trusted for this upstream (not the system roots), as a private CA is meant to be.
 */
export function createUpstreamTls(
  url: URL,
  options: ProxyRoute['upstreamTls'],
): UpstreamTls | undefined {
  if (url.protocol !== 'https:') return undefined
  const ca = options.caFile === undefined ? undefined : readCaFile(options.caFile, url)
  return {
    secureContext: createSecureContext(ca === undefined ? {} : { ca }),
    servername: options.servername ?? nameOf(url),
    rejectUnauthorized: options.verify,
  }
}

/** The host of `url` without IPv6 brackets, for `net.connect`. */
export function hostnameOf(url: URL): string {
  const host = url.hostname
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** The port of `url`, with the scheme's default when the URL has none. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port)
  return url.protocol === 'https:' ? 443 : 80
}

function nameOf(url: URL): string | undefined {
  const host = hostnameOf(url)
  return isIP(host) === 0 ? host : undefined
}

/**
 * The certificates of a CA file. Checked here because OpenSSL silently ignores a `ca` that holds no
 * certificate, which would make every handshake fail later with an unhelpful verification error.
 */
function readCaFile(path: string, url: URL): string[] {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw caFileError(path, url, `cannot be read (${why})`, err)
  }
  try {
    const certs = splitPemChain(pem)
    for (const cert of certs) new X509Certificate(cert)
    if (certs.length > 0) return certs
  } catch (err) {
    throw caFileError(path, url, `holds an invalid certificate (${(err as Error).message})`, err)
  }
  throw caFileError(path, url, 'holds no PEM certificate', undefined)
}

function caFileError(path: string, url: URL, what: string, cause: unknown): GatehouseError {
  return new GatehouseError(
    'ERR_CONFIG',
    `the CA file ${path} of upstream ${url.host} ${what}; give a PEM file of the CA that signed the upstream's certificate`,
    { cause },
  )
}
