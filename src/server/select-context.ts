import type { SecureContext } from 'node:tls'
import type { CertificateLookup } from './certificate-sources.js'

/** Pending loads one handshake waits for in turn (exact name, wildcard, one spare). */
const PENDING_ROUNDS = 3

/** Default for {@link ContextSelection.certificateWaitMs}. */
const DEFAULT_CERTIFICATE_WAIT_MS = 10_000

/** What the SNI callback needs to find a context for a name (a subset of HttpsServerOptions). */
export interface ContextSelection {
  cache: CertificateLookup
  /** When set, a name with no certificate gets the server's own (default) context, not an alert. */
  defaultCertificate?: unknown
  waitForCertificate?: (servername: string, signal: AbortSignal) => Promise<boolean>
  certificateWaitMs?: number
}

export type ContextCallback = (err: Error | null, ctx?: SecureContext) => void

/**
 * The context for `servername`, in the order a handshake may have to wait for it: one built or
 * cached now (synchronous, memory only); else a certificate read at first use (a folder file);
 * else one being obtained (`waitForCertificate`, bounded); else the default context (`done(null)`)
 * or, without a default certificate, an error that fails the handshake.
 */
export function selectContext(
  o: ContextSelection,
  servername: string,
  done: ContextCallback,
): void {
  let ctx: SecureContext | undefined
  try {
    ctx = o.cache.contextFor(servername)
  } catch (err) {
    return done(err as Error)
  }
  if (ctx) return done(null, ctx)
  awaitPending(o, servername, PENDING_ROUNDS, done)
}

/**
 * A file read and checked at first use: this handshake waits for it, later ones do not. When it
 * gives nothing (a `<name>` pair missing or refused), the next candidate may be pending in turn
 * (`_wildcard.<parent>`), hence a few rounds.
 */
function awaitPending(
  o: ContextSelection,
  servername: string,
  rounds: number,
  done: ContextCallback,
): void {
  const loading = rounds > 0 ? o.cache.pendingFor?.(servername) : undefined
  if (!loading) return waitForContext(o, servername, done)
  void loading.then(() => {
    let later: SecureContext | undefined
    try {
      later = o.cache.contextFor(servername)
    } catch (err) {
      return done(err as Error)
    }
    if (later) done(null, later)
    else awaitPending(o, servername, rounds - 1, done)
  })
}

function waitForContext(o: ContextSelection, servername: string, done: ContextCallback): void {
  const wait = o.waitForCertificate
  // With a default certificate, an unknown name gets it (the server's own context) rather than an alert.
  const fallback = o.defaultCertificate ? null : new Error(`no certificate for ${servername}`)
  if (!wait) return done(fallback)
  const signal = AbortSignal.timeout(o.certificateWaitMs ?? DEFAULT_CERTIFICATE_WAIT_MS)
  wait(servername, signal).then(
    (ok) => {
      const later = ok ? o.cache.contextFor(servername) : undefined
      done(later ? null : fallback, later)
    },
    (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
  )
}
