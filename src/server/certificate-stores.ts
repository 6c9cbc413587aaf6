import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import { CertificateFiles, type CertificateFilePair } from '../manager/certificate-files.js'
import { CertificateFolder, DEFAULT_STEM, type FolderEvent } from '../manager/certificate-folder.js'
import type { LocalCa } from '../local-ca/local-ca.js'
import { FileStorage } from '../storage/file-storage.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { CertificateSources } from './certificate-sources.js'
import { createSelfSigned } from './self-signed.js'

export interface CertificateStoresOptions {
  /** Certificate and key files served first, each for the names in its certificate. */
  tlsFiles: readonly CertificateFilePair[]
  /** The certificate folder looked up by name; undefined: none. */
  certDir: string | undefined
  logger?: Logger | undefined
  /** The explicit files' clock (expiry checks). Default: the system clock. */
  clock?: Clock | undefined
  onEvent?: ((event: FolderEvent) => void) | undefined
}

/** Where a server's certificates come from, in the order a name is looked up. */
export interface CertificateStores {
  /** The explicit files, loaded; `watch()` them once serving. */
  files: CertificateFiles
  /** The certificate folder with only default.crt loaded; `watch()` lists it once serving. */
  folder: CertificateFolder | undefined
  /** The caches an operator fills: explicit files, then the certificate folder. */
  unmanaged: readonly CertificateCache[]
  /** The cache the certificate managers (ACME, local CA) fill. */
  managed: CertificateCache
  /** All of them, explicit files first, managed last: a file put in place by an operator wins. */
  sources: CertificateSources
}

/** Loads the explicit files and the folder's default certificate; the rest is read once serving. */
export async function openCertificateStores(
  options: CertificateStoresOptions,
): Promise<CertificateStores> {
  const { certDir, logger, clock, onEvent } = options
  const log = logger ? { logger } : {}
  const events = onEvent ? { onEvent } : {}
  const explicit = new CertificateCache()
  const files = new CertificateFiles({
    pairs: options.tlsFiles,
    cache: explicit,
    ...(clock ? { clock } : {}),
    ...events,
    ...log,
  })
  await files.load()
  const folderCache = new CertificateCache()
  const folder =
    certDir === undefined
      ? undefined
      : new CertificateFolder({ dir: certDir, cache: folderCache, ...events, ...log })
  // Only default.crt is needed now: the folder is listed once the server listens.
  await folder?.loadDefault()
  const managed = new CertificateCache()
  return {
    files,
    folder,
    unmanaged: [explicit, folderCache],
    managed,
    sources: new CertificateSources([explicit, folderCache, managed]),
  }
}

/**
 * Issue 3 §2: the default certificate is created on first need and saved in the certificate folder
 * as default.crt/default.key (atomically, key 0600), so later starts serve the same one until it
 * expires (the folder then refuses it and a new one is made).
 */
export async function createDefault(
  ca: LocalCa | undefined,
  remote: readonly string[],
  certDir: string | undefined,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const pair = await defaultPair(ca, remote)
  if (certDir !== undefined) {
    const files = new FileStorage({ root: certDir })
    await files.put(`${DEFAULT_STEM}.key`, pair.privateKeyPem, { private: true })
    await files.put(`${DEFAULT_STEM}.crt`, pair.certificatePem)
  }
  return pair
}

async function defaultPair(
  ca: LocalCa | undefined,
  remote: readonly string[],
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  if (ca) {
    const issued = await ca.issue(['localhost', '127.0.0.1', '::1'])
    return { certificatePem: issued.leafPem, privateKeyPem: issued.privateKeyPem }
  }
  return createSelfSigned(
    remote
      .filter((d) => !d.startsWith('*.'))
      .slice(0, 1)
      .concat(['localhost']),
  )
}
