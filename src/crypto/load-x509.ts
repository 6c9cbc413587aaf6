/** The @peculiar/x509 module (with its polyfill) as `x509.js` exports it. */
export type X509 = typeof import('./x509.js')

let loading: Promise<X509> | undefined

/**
 * Imports @peculiar/x509 on first use: it costs ~0.2 s of CPU to load, and most processes (a server
 * whose certificates are already on disk, `gatehouse --help`) never build a certificate.
 */
export function loadX509(): Promise<X509> {
  loading ??= import('./x509.js')
  return loading
}
