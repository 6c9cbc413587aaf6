import { createSecureContext, type SecureContext } from 'node:tls'
import type { ChallengeContext } from './challenge-solver.js'

/** RFC 8737 §6.2: the ALPN protocol a TLS-ALPN-01 validation negotiates. */
export const ACME_TLS_ALPN = 'acme-tls/1'

/**
 * TLS-ALPN-01 answers by SNI name, shared by the standalone solver and Gatehouse's HTTPS listener.
 * `contextFor` is synchronous and only reads memory: it runs inside the TLS handshake.
 */
export class TlsAlpnResponder {
  readonly #contexts = new Map<string, SecureContext>()

  async add(challenge: ChallengeContext, options: { signal?: AbortSignal } = {}): Promise<void> {
    // Imported at the first challenge: it pulls in @peculiar/x509 (~0.4 s and ~20 MiB at start-up),
    // and every HTTPS server holds a responder whether or not it ever answers a challenge.
    const { createTlsAlpnCertificate } = await import('./tls-alpn-cert.js')
    const { keyPem, certPem } = await createTlsAlpnCertificate(
      challenge.identifier,
      challenge.keyAuthorization,
      options,
    )
    this.#contexts.set(sniName(challenge), createSecureContext({ key: keyPem, cert: certPem }))
  }

  remove(challenge: ChallengeContext): void {
    this.#contexts.delete(sniName(challenge))
  }

  get size(): number {
    return this.#contexts.size
  }

  /** The challenge context for an SNI name, or the only pending one when the client sent no SNI. */
  contextFor(servername: string | undefined): SecureContext | undefined {
    if (servername) return this.#contexts.get(servername.toLowerCase().replace(/\.$/, ''))
    if (this.#contexts.size === 1) return this.#contexts.values().next().value
    return undefined
  }
}

/**
 * The SNI name a validator sends: the DNS name itself, or for an IP identifier the reverse-mapping
 * name (RFC 8738 §6: `4.3.2.1.in-addr.arpa` / nibbles under `ip6.arpa`), since SNI cannot carry an IP.
 */
export function sniName(challenge: ChallengeContext): string {
  const { type, value } = challenge.identifier
  return type === 'ip' ? reverseName(value) : value.toLowerCase()
}

export function reverseName(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`
  const halves = ip.split('::')
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves[1] ? halves[1].split(':') : []
  const fill = halves.length === 2 ? Array<string>(8 - head.length - tail.length).fill('0') : []
  const nibbles = [...head, ...fill, ...tail].map((g) => g.padStart(4, '0')).join('')
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`
}
