import { isLocalName } from '../local-ca/name-constraints.js'
import { resolveDirectoryUrl } from '../manager/ca-directories.js'

/** Who gets a certificate for a site host: the local CA, the ACME CA, or nobody (with why). */
export type IssuerChoice =
  { issuer: 'local-ca' } | { issuer: 'acme' } | { issuer: 'none'; why: string }

/** The public ACME CAs Gatehouse knows by name; they never issue for `.test` (RFC 6761 §6.2). */
const PUBLIC_DIRECTORIES = new Set(['letsencrypt', 'letsencrypt-staging'].map(resolveDirectoryUrl))

/**
 * Pure. `localhost`, `*.localhost` and loopback addresses always get local-CA certificates: no
 * public CA can issue them. `.test` names (RFC 6761 reserves them for testing) get local-CA
 * certificates too, unless the operator pointed `acme_directory` at a CA of their own (a test CA
 * such as Pebble), which may issue them. Wildcards need DNS-01, which `serve` does not solve, or
 * on-demand issuance; without either they get no managed certificate (a file or the certificate
 * folder can still serve them).
 */
export function issuerFor(
  host: string,
  options: { acmeDirectory: string; onDemand: boolean },
): IssuerChoice {
  const ownCa = !PUBLIC_DIRECTORIES.has(resolveDirectoryUrl(options.acmeDirectory))
  const local = isLocalName(host)
  const testName = /\.test$/.test(host)
  if (local && !(testName && ownCa)) return { issuer: 'local-ca' }
  if (host.startsWith('*.')) {
    return options.onDemand
      ? { issuer: 'none', why: 'wildcard host: names under it are obtained on demand' }
      : {
          issuer: 'none',
          why: 'a wildcard needs DNS-01 (not available in serve) or [tls.on_demand]; put its certificate in the certificate folder or [[tls.files]]',
        }
  }
  return { issuer: 'acme' }
}
