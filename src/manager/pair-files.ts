import type { X509Certificate } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { canonicalIp } from '../crypto/ip.js'

/**
 * What the certificate folder and the explicit certificate files share: how a certificate's names
 * are read, and how a replaced pair is noticed.
 */

/** DNS names (lower case) and IP addresses (canonical) of the subjectAltName extension. */
export function subjectAltNames(cert: X509Certificate): string[] {
  const out: string[] = []
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) out.push(part.slice(4).toLowerCase())
    else if (part.startsWith('IP Address:')) out.push(canonicalIp(part.slice(11)) ?? part.slice(11))
  }
  return out
}

/** mtimes and sizes of both files: a change in either means the pair was replaced. Rejects when one is missing. */
export async function pairSignature(certFile: string, keyFile: string): Promise<string> {
  const [c, k] = await Promise.all([stat(certFile), stat(keyFile)])
  return `${c.mtimeMs}:${c.size}:${k.mtimeMs}:${k.size}`
}
