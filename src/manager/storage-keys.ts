import type { Identifier } from '../acme/types.js'
import { safeKeyPart } from '../storage/keys.js'

/**
 * Where things live in storage. Pure, so the layout is tested in one place:
 *
 *   acme/<issuer>/accounts/<email|default>/account.json   URL, contact, directory
 *   acme/<issuer>/accounts/<email|default>/account.key    private key (PKCS#8 PEM, private)
 *   acme/<issuer>/certificates/<name>/<name>.crt          leaf + chain
 *   acme/<issuer>/certificates/<name>/<name>.key          private key (private)
 *   acme/<issuer>/certificates/<name>/<name>.json         metadata
 *   acme/<issuer>/certificates/<name>/renewal.json        last ARI window, last error (renewal-record.ts)
 *
 * `<issuer>` is the directory URL's host, port and path (`acme-v02.api.letsencrypt.org-directory`),
 * `<name>` the certificate's first identifier (`*.` becomes `wildcard_.`).
 */
export function issuerKey(directoryUrl: string): string {
  const url = new URL(directoryUrl)
  const path = url.pathname.replace(/^\/+|\/+$/g, '')
  return safeKeyPart(`${url.host}${path ? `-${path}` : ''}`)
}

export function accountPrefix(directoryUrl: string, email: string | undefined): string {
  return `acme/${issuerKey(directoryUrl)}/accounts/${safeKeyPart(email || 'default')}`
}

export function certificatesPrefix(directoryUrl: string): string {
  return `acme/${issuerKey(directoryUrl)}/certificates`
}

/** The name a certificate is stored and looked up under: its first identifier. */
export function certificateName(identifiers: readonly Identifier[]): string {
  const first = identifiers[0]
  if (!first) throw new TypeError('a certificate needs at least one identifier')
  return first.value
}

export function certificateKeys(
  directoryUrl: string,
  name: string,
): { dir: string; cert: string; key: string; meta: string; renewal: string } {
  const part = safeKeyPart(name)
  const dir = `${certificatesPrefix(directoryUrl)}/${part}`
  return {
    dir,
    cert: `${dir}/${part}.crt`,
    key: `${dir}/${part}.key`,
    meta: `${dir}/${part}.json`,
    renewal: `${dir}/renewal.json`,
  }
}
