import { readFile } from 'node:fs/promises'
import type { Clock } from '../clock.js'
import { certificateMatchesKey, parseCertificate } from '../crypto/certificate.js'
import { importPrivateKeyPem } from '../crypto/keys.js'
import type { Storage } from '../storage/storage.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { readJson } from './account-store.js'
import { CertificateFolder, DEFAULT_STEM, type FolderEvent } from './certificate-folder.js'
import type { CertificateMeta } from './certificate-store.js'
import { LOCAL_CA_ISSUER_KEY } from './local-ca-issuer.js'
import { nextRenewal, type NextRenewal } from './next-renewal.js'
import { readRenewalRecord } from './renewal-record.js'

/** Where a certificate comes from: explicit files, the certificate folder, an ACME CA, the local CA. */
export type CertificateSource = 'file' | 'folder' | 'acme' | 'local-ca'

/** One certificate as `gatehouse certs list` shows it: what it covers, where from, when it renews. */
export interface InventoryEntry {
  /** The name it is stored or looked up under (its first name; `default` for default.crt). */
  name: string
  /** The DNS names and IP addresses it covers (empty when it could not be read). */
  names: string[]
  source: CertificateSource
  /** The ACME directory URL (acme, local-ca) or the certificate file (file, folder). */
  location: string
  /** The issuer's common name. */
  issuer?: string
  serialHex?: string
  notBefore?: Date
  notAfter?: Date
  /** For certificates Gatehouse renews (acme, local-ca); files are replaced by whoever made them. */
  nextRenewal?: NextRenewal
  /** The last renewal failure, or why a file is refused. */
  lastError?: { message: string; code?: string; at?: Date }
  revoked?: { at: Date; reason: number }
}

/**
 * Every certificate stored under `acme/` (all CAs, and the local CA), with the renewal record the
 * manager keeps beside each. A name whose issuance has only failed so far is listed without a
 * certificate, with its error. Sorted by name.
 */
export async function storedInventory(storage: Storage): Promise<InventoryEntry[]> {
  const out: InventoryEntry[] = []
  for (const issuerDir of await storage.list('acme')) {
    for (const dir of await storage.list(`${issuerDir}/certificates`)) {
      const entry = await storedEntry(storage, dir)
      if (entry) out.push(entry)
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

async function storedEntry(storage: Storage, dir: string): Promise<InventoryEntry | undefined> {
  const part = dir.slice(dir.lastIndexOf('/') + 1)
  const [meta, record] = await Promise.all([
    readJson<CertificateMeta>(storage, `${dir}/${part}.json`).catch(() => undefined),
    readRenewalRecord(storage, `${dir}/renewal.json`),
  ])
  const error = record?.lastError
  const lastError = error
    ? {
        message: error.message,
        ...(error.code ? { code: error.code } : {}),
        at: new Date(error.at),
      }
    : undefined
  if (!meta) {
    if (!lastError) return undefined
    return { name: part, names: [], source: 'acme', location: dir, lastError }
  }
  const notBefore = new Date(meta.notBefore)
  const notAfter = new Date(meta.notAfter)
  return {
    name: meta.name,
    names: meta.identifiers.map((id) => id.value),
    source: meta.directoryUrl === LOCAL_CA_ISSUER_KEY ? 'local-ca' : 'acme',
    location: meta.directoryUrl,
    ...(meta.issuer ? { issuer: meta.issuer } : {}),
    serialHex: meta.serialHex,
    notBefore,
    notAfter,
    ...(meta.revoked
      ? { revoked: { at: new Date(meta.revoked.at), reason: meta.revoked.reason } }
      : { nextRenewal: nextRenewal({ serialHex: meta.serialHex, notBefore, notAfter }, record) }),
    ...(lastError ? { lastError } : {}),
  }
}

/**
 * Every pair in the certificate folder, checked exactly as a server would load it (the same
 * {@link CertificateFolder} code): a pair the server would refuse is listed with the reason.
 */
export async function folderInventory(dir: string, clock?: Clock): Promise<InventoryEntry[]> {
  const events: FolderEvent[] = []
  const folder = new CertificateFolder({
    dir,
    cache: new CertificateCache(),
    ...(clock ? { clock } : {}),
    onEvent: (e) => events.push(e),
  })
  await folder.scan()
  // The folder loads pairs lazily (at first handshake); a listing checks every one now.
  await folder.loadAll()
  const out: InventoryEntry[] = []
  for (const event of events) {
    if (event.type === 'removed') continue
    const stem = event.file.slice(event.file.lastIndexOf('/') + 1, -'.crt'.length)
    const name = stem === DEFAULT_STEM ? DEFAULT_STEM : event.name
    const refused = event.type === 'refused' ? { lastError: { message: event.reason } } : {}
    out.push({ ...(await describeFile(event.file, name, 'folder')), ...refused })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/** Explicit certificate files (`--tls-cert`/`--tls-key`, `[[tls.files]]`), checked against their key. */
export async function fileInventory(
  pairs: readonly { cert: string; key: string }[],
): Promise<InventoryEntry[]> {
  return Promise.all(
    pairs.map(async ({ cert, key }) => {
      const entry = await describeFile(cert, cert, 'file')
      if (entry.lastError) return entry
      try {
        const [certPem, keyPem] = await Promise.all([readFile(cert, 'utf8'), readFile(key, 'utf8')])
        if (!certificateMatchesKey(certPem, importPrivateKeyPem(keyPem))) {
          return { ...entry, lastError: { message: `${key} is not the key of ${cert}` } }
        }
      } catch (err) {
        return { ...entry, lastError: { message: `cannot read ${key}: ${(err as Error).message}` } }
      }
      return { ...entry, name: entry.names[0] ?? cert }
    }),
  )
}

async function describeFile(
  file: string,
  name: string,
  source: CertificateSource,
): Promise<InventoryEntry> {
  try {
    const info = parseCertificate(await readFile(file, 'utf8'))
    return {
      name,
      names: [...info.dnsNames, ...info.ipAddresses],
      source,
      location: file,
      ...(info.issuerCommonName ? { issuer: info.issuerCommonName } : {}),
      serialHex: info.serialHex,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
    }
  } catch (err) {
    const message = `cannot read ${file}: ${(err as Error).message}`
    return { name, names: [], source, location: file, lastError: { message } }
  }
}
