import { X509Certificate } from 'node:crypto'
import { GatehouseError } from '../errors.js'

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** The PEM blocks of a `application/pem-certificate-chain` body (RFC 8555 §9.1), leaf first. */
export function splitPemChain(pem: string): string[] {
  return [...pem.matchAll(PEM_CERTIFICATE)].map((m) => m[0])
}

/**
 * The issuer common name of a chain's topmost certificate (the one closest to the root). This is
 * the name users pick chains by, as certbot's and lego's `preferred chain` do: the root itself is
 * usually not in the chain, but its name is the topmost certificate's issuer.
 */
export function topmostIssuerCn(pem: string): string | undefined {
  const blocks = splitPemChain(pem)
  const top = blocks[blocks.length - 1]
  if (top === undefined) return undefined
  let issuer: string
  try {
    issuer = new X509Certificate(top).issuer
  } catch (err) {
    throw new GatehouseError('ERR_ACME_PROTOCOL', 'the CA sent a certificate that does not parse', {
      cause: err,
    })
  }
  for (const line of issuer.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3)
  }
  return undefined
}

/**
 * RFC 8555 §7.4.2: picks the chain whose topmost issuer CN equals `preferred`, else the default
 * (index 0). Returns the index chosen and its issuer CN.
 */
export function choosePreferredChain(
  chains: string[],
  preferred: string | undefined,
): { index: number; issuer: string | undefined } {
  const issuers = chains.map((c) => topmostIssuerCn(c))
  const match = preferred === undefined ? -1 : issuers.findIndex((i) => i === preferred)
  const index = match >= 0 ? match : 0
  return { index, issuer: issuers[index] }
}
