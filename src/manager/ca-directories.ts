import { GatehouseError } from '../errors.js'

/** Well-known ACME directories, by the short names the CLI and config accept. */
export const KNOWN_DIRECTORIES: Readonly<Record<string, string>> = Object.freeze({
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
})

/** A short name or an `https:` URL → the directory URL. RFC 8555 §6.1: ACME is HTTPS only. */
export function resolveDirectoryUrl(nameOrUrl: string): string {
  const known = KNOWN_DIRECTORIES[nameOrUrl]
  if (known) return known
  let url: URL
  try {
    url = new URL(nameOrUrl)
  } catch {
    throw new GatehouseError(
      'ERR_CONFIG',
      `ACME directory ${JSON.stringify(nameOrUrl)} is neither ${Object.keys(KNOWN_DIRECTORIES).join(', ')} nor a URL`,
    )
  }
  if (url.protocol !== 'https:') {
    throw new GatehouseError(
      'ERR_CONFIG',
      `ACME directory ${nameOrUrl} must be an https: URL (RFC 8555 §6.1)`,
    )
  }
  return url.href
}
