import { GatehouseError } from '../errors.js'
import { choosePreferredChain } from './certificate-chain.js'
import { linksWithRel, parseLinks } from './headers.js'
import type { AcmeResponse } from './http.js'

/** Alternate chains fetched at most: real CAs offer one or two. */
export const MAX_ALTERNATE_CHAINS = 8

/** RFC 8555 §7.4.2: the media type of a certificate download. */
export const PEM_CHAIN = 'application/pem-certificate-chain'

export interface DownloadedCertificate {
  /** The chosen chain, leaf first. */
  pem: string
  /** The alternate chains offered (RFC 8555 §7.4.2 `Link: rel="alternate"`), as fetched. */
  alternates: string[]
  /** Issuer CN of the chosen chain's topmost certificate. */
  chosenIssuer?: string
}

/**
 * RFC 8555 §7.4.2: downloads the default chain, then every `Link: rel="alternate"` one, and picks
 * the chain whose topmost issuer CN is `preferredChain` (else the default). `fetch` is a POST-as-GET
 * asking for {@link PEM_CHAIN}.
 */
export async function downloadChains(
  url: string,
  fetch: (url: string) => Promise<AcmeResponse>,
  preferredChain: string | undefined,
): Promise<DownloadedCertificate> {
  const first = await fetch(url)
  const alternateUrls = linksWithRel(parseLinks(first.headers['link'], url), 'alternate')
  const alternates: string[] = []
  for (const alt of alternateUrls.slice(0, MAX_ALTERNATE_CHAINS)) {
    alternates.push((await fetch(alt)).body.toString('utf8'))
  }
  const chains = [first.body.toString('utf8'), ...alternates]
  if (!chains[0]?.includes('-----BEGIN CERTIFICATE-----')) {
    throw new GatehouseError('ERR_ACME_PROTOCOL', `${url} sent no PEM certificate chain`)
  }
  const { index, issuer } = choosePreferredChain(chains, preferredChain)
  const result: DownloadedCertificate = { pem: chains[index] ?? '', alternates }
  if (issuer !== undefined) result.chosenIssuer = issuer
  return result
}
