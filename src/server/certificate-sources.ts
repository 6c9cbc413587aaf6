import type { SecureContext } from 'node:tls'
import type { CertEntry, CertificateCache } from '../tls/certificate-cache.js'

/** What the HTTPS server asks for a certificate: synchronous, memory only (it runs in the handshake). */
export interface CertificateLookup {
  lookup(servername: string): CertEntry | undefined
  contextFor(servername: string): SecureContext | undefined
  /**
   * When the certificate for `servername` is known but not loaded yet (a certificate-folder file
   * read at first use), a promise that settles once it is; then ask `contextFor` again.
   */
  pendingFor?(servername: string): Promise<void> | undefined
  /** False when no IP address could be served (see CertificateCache.mayServeIps); default true. */
  readonly mayServeIps?: boolean
}

/**
 * Several caches asked in order of precedence, the first with a certificate for the name winning:
 * explicit files, then the certificate folder, then managed (ACME or local CA) certificates. Within one
 * cache an exact name beats a wildcard; across caches the order does, so a file put in place by an
 * operator always overrides what Gatehouse obtained.
 */
export class CertificateSources implements CertificateLookup {
  readonly #caches: readonly CertificateCache[]

  constructor(caches: readonly CertificateCache[]) {
    this.#caches = caches
  }

  get mayServeIps(): boolean {
    // Asked once per connection: a loop, no callback.
    for (const cache of this.#caches) if (cache.mayServeIps) return true
    return false
  }

  lookup(servername: string): CertEntry | undefined {
    for (const cache of this.#caches) {
      const entry = cache.lookup(servername)
      if (entry) return entry
    }
    return undefined
  }

  contextFor(servername: string): SecureContext | undefined {
    // contextFor is undefined exactly when the cache has no entry: one lookup per cache.
    for (const cache of this.#caches) {
      const context = cache.contextFor(servername)
      if (context) return context
      // A source with precedence that has the name pending: the caller waits for pendingFor.
      if (cache.mayHavePending && cache.pendingFor(servername)) return undefined
    }
    return undefined
  }

  pendingFor(servername: string): Promise<void> | undefined {
    for (const cache of this.#caches) {
      if (cache.lookup(servername)) return undefined
      const pending = cache.pendingFor(servername)
      if (pending) return pending
    }
    return undefined
  }
}
