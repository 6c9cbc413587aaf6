import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import type { CertEntry } from './certificate-cache.js'

/**
 * Mozilla's "intermediate" server profile (ssl-config.mozilla.org, version 5.7): TLS 1.2 and 1.3,
 * ECDHE with AEAD ciphers only, X25519/P-256/P-384, the client's cipher preference (every suite is
 * strong, and clients know whether they have AES hardware).
 *
 * Every SNI context must carry these too: the context an SNICallback returns replaces the server's,
 * protocol limits and cipher list included.
 */
export const TLS_PROFILE: Readonly<SecureContextOptions> = Object.freeze({
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: [
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ecdhCurve: 'X25519:P-256:P-384',
  honorCipherOrder: false,
})

/** The SecureContext for one certificate entry, with the profile. Never with `ca` (see the cache). */
export function createProfileContext(
  entry: Pick<CertEntry, 'certificatePem' | 'privateKeyPem'>,
): SecureContext {
  return createSecureContext({
    ...TLS_PROFILE,
    key: entry.privateKeyPem,
    cert: entry.certificatePem,
  })
}
