import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import type { CertEntry } from '../tls/certificate-cache.js'
import { pairSignature, subjectAltNames } from './pair-files.js'

/** The file stem for `default.crt`: the certificate served when nothing else matches. */
export const DEFAULT_STEM = 'default'

const ID_PREFIX = 'folder:'

/** `_wildcard.example.com` → `*.example.com`; other stems are the name itself. */
export function nameOf(stem: string): string {
  return stem.startsWith('_wildcard.') ? `*.${stem.slice('_wildcard.'.length)}` : stem.toLowerCase()
}

/** The cache id of a folder pair. */
export function idOf(stem: string): string {
  return ID_PREFIX + stem
}

/** What reading a pair gave: the entry, or why it is refused; with the signature it was read at. */
export type PairRead =
  { signature: string; entry: CertEntry } | { signature: string; reason: string }

/**
 * Reads and checks the pair `<stem>.crt` + `<stem>.key` in `dir` at time `now` (ms). Undefined when
 * a half is missing (being written: the next scan sees it whole, or it never existed).
 */
export async function readFolderPair(
  dir: string,
  stem: string,
  now: number,
): Promise<PairRead | undefined> {
  const certFile = join(dir, `${stem}.crt`)
  const keyFile = join(dir, `${stem}.key`)
  const signature = await signatureOf(certFile, keyFile)
  if (signature === undefined) return undefined
  try {
    const [certificatePem, privateKeyPem] = await Promise.all([
      readFile(certFile, 'utf8'),
      readFile(keyFile, 'utf8'),
    ])
    return { signature, entry: validatePair(stem, certificatePem, privateKeyPem, now) }
  } catch (err) {
    return { signature, reason: err instanceof Error ? err.message : String(err) }
  }
}

/** mtimes and sizes of both files, or undefined when one is missing. */
export async function signatureOf(certFile: string, keyFile: string): Promise<string | undefined> {
  try {
    return await pairSignature(certFile, keyFile)
  } catch {
    return undefined
  }
}

// Node's own X509Certificate (OpenSSL) parses in a fraction of the time of an ASN.1 library, which
// is what start-up with many files costs.
function validatePair(
  stem: string,
  certificatePem: string,
  privateKeyPem: string,
  now: number,
): CertEntry {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certificatePem)
  } catch (err) {
    throw new Error(`${stem}.crt holds no readable PEM certificate (${(err as Error).message})`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey(privateKeyPem)
  } catch (err) {
    throw new Error(`${stem}.key holds no readable PEM private key (${(err as Error).message})`)
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`${stem}.key is not the key of ${stem}.crt`)
  const notAfter = new Date(cert.validTo)
  if (notAfter.getTime() <= now) throw new Error(`expired on ${notAfter.toISOString()}`)
  const sans = subjectAltNames(cert)
  const name = nameOf(stem)
  if (stem !== DEFAULT_STEM && !covers(cert, sans, name)) {
    throw new Error(`does not cover ${name} (it names ${sans.join(', ') || 'nothing'})`)
  }
  return {
    id: idOf(stem),
    names: stem === DEFAULT_STEM ? sans : [name],
    notAfter,
    certificatePem,
    privateKeyPem,
    source: stem === DEFAULT_STEM ? 'default' : 'folder',
  }
}

/** RFC 6125 matching by Node (`checkHost`/`checkIP`); a `*.parent` file name must be in the SANs as is. */
function covers(cert: X509Certificate, sans: readonly string[], name: string): boolean {
  if (name.startsWith('*.')) return sans.includes(name)
  if (isIP(name)) return cert.checkIP(name) !== undefined
  return (
    cert.checkHost(name, { subject: 'never', wildcards: true, singleLabelSubdomains: false }) !==
    undefined
  )
}
