import { isIP, type Socket } from 'node:net'
import { networkInterfaces } from 'node:os'
import type { SecureContext, Server as TlsServer } from 'node:tls'
import { canonicalIp } from '../crypto/ip.js'

/** The listener tls.Server adds in its constructor: it wraps each raw socket in a TLSSocket. */
const TLS_CONNECTION_LISTENER = 'tlsConnectionListener'

/** What tls.Server reads, per connection, as the TLSSocket's first context (Node 20 _tls_wrap.js). */
interface SharedCreds {
  _sharedCreds: SecureContext
}

/**
 * Makes `pick(socket)` choose the context a connection STARTS with, by the raw socket (its local
 * address): the certificate a client that sends no SNI gets. RFC 6066 §3 forbids IP literals in
 * server_name, so a client that connects to `https://192.0.2.1/` sends none, and Node calls no
 * SNICallback for it: the only context it ever sees is the one its TLSSocket was created with.
 *
 * Node 20 has no public per-connection hook before the handshake (`setSecureContext` is
 * server-wide, `addContext` is by SNI name), so the listener that creates the TLSSocket is wrapped:
 * the server's `_sharedCreds`, which it reads synchronously, is swapped for `pick`'s context around
 * that one call. A client that does send SNI still gets its name's context from the SNICallback (it
 * replaces the first context in the handshake, as before); a name with no certificate keeps the
 * picked one, the way nginx serves a per-address default server.
 *
 * Returns false (and changes nothing) when the listener is not found: a Node version that builds
 * TLSSockets elsewhere. test/integration/ip-default-certificate.test.ts pins the behaviour.
 */
export function startContextByLocalAddress(
  server: TlsServer,
  pick: (socket: Socket) => SecureContext | undefined,
): boolean {
  const listener = server
    .listeners('connection')
    .find((l) => (l as { name?: string }).name === TLS_CONNECTION_LISTENER) as
    ((this: TlsServer, socket: Socket) => void) | undefined
  const creds = server as unknown as Partial<SharedCreds>
  if (listener === undefined || creds._sharedCreds === undefined) return false
  server.removeListener('connection', listener)
  server.prependListener('connection', function (this: TlsServer, socket: Socket) {
    const context = pick(socket)
    if (context === undefined) return listener.call(this, socket)
    const shared = this as unknown as SharedCreds
    const saved = shared._sharedCreds
    shared._sharedCreds = context
    try {
      listener.call(this, socket)
    } finally {
      shared._sharedCreds = saved
    }
  })
  return true
}

/**
 * The address a connection arrived on as a certificate would name it: canonical form, an
 * IPv4-mapped IPv6 address (a dual-stack `::` listener, RFC 4291 §2.5.5.2) as plain IPv4, and no
 * zone ID (`fe80::1%eth0`; certificates carry none, RFC 5280 §4.2.1.6). Undefined when there is none
 * (a socket already closed).
 */
export function localIpName(address: string | undefined): string | undefined {
  if (address === undefined || address.length === 0) return undefined
  // The common cases first, with no parsing: plain IPv4, then the mapped form.
  if (!address.includes(':')) return address
  if (address.startsWith('::ffff:') && address.includes('.', 7)) return address.slice(7)
  const zone = address.indexOf('%')
  return canonicalIp(zone === -1 ? address : address.slice(0, zone))
}

/**
 * The addresses a listener bound to `address` (what `server.address()` reports) accepts
 * connections on: the address itself, or every address of every interface for a wildcard one
 * (`0.0.0.0` takes IPv4 only; `::` both, dual-stack). None for what is no IP address.
 */
export function listeningIps(address: string): string[] {
  const ip = isIP(address) === 0 ? undefined : localIpName(address)
  if (ip !== '0.0.0.0' && ip !== '::') return ip === undefined ? [] : [ip]
  const out = new Set<string>()
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (ip === '0.0.0.0' && a.family !== 'IPv4') continue
      const name = localIpName(a.address)
      if (name !== undefined) out.add(name)
    }
  }
  return [...out]
}
