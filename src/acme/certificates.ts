import type { KeyObject } from 'node:crypto'
import { GatehouseError } from '../errors.js'
import { downloadChains, PEM_CHAIN, type DownloadedCertificate } from './certificate-download.js'
import { jsonOf } from './http.js'
import { assertSigningKey } from './jwk.js'
import { assertCertId, clampAriRetry, parseRenewalInfo, renewalInfoUrl } from './renewal-info.js'
import { revocationPayload } from './requests.js'
import type { AcmeSession, CallOptions } from './session.js'
import { signedPost } from './signed-post.js'
import type { RenewalInfo } from './types.js'

/** RFC 8555 §7.4.2: see {@link downloadChains}; no match for `preferredChain` → default chain. */
export function downloadCertificate(
  s: AcmeSession,
  url: string,
  options: CallOptions & { preferredChain?: string },
): Promise<DownloadedCertificate> {
  const fetch = (u: string) => s.post(u, undefined, options, PEM_CHAIN)
  return downloadChains(url, fetch, options.preferredChain)
}

/**
 * RFC 8555 §7.6: revokes with the account key (`kid`) by default, or with the certificate's own key
 * (`jwk`), which works even for a certificate another account ordered.
 */
export async function revokeCertificate(
  s: AcmeSession,
  certDer: Uint8Array,
  options: CallOptions & { reason?: number; certificateKey?: KeyObject },
): Promise<void> {
  const payload = revocationPayload(certDer, options.reason)
  const dir = await s.directory(options)
  if (options.certificateKey) {
    assertSigningKey(options.certificateKey, 'certificateKey')
    await signedPost(s.ctx, dir.revokeCert, payload, {
      key: options.certificateKey,
      signal: options.signal,
    })
  } else {
    await s.post(dir.revokeCert, payload, options)
  }
}

/** RFC 9773 §4.2: an unauthenticated GET; `retryAfterMs` is clamped to [60 s, 24 h], 6 h if absent. */
export async function renewalInfo(
  s: AcmeSession,
  certId: string,
  options: CallOptions,
): Promise<{ info: RenewalInfo; retryAfterMs: number }> {
  assertCertId(certId)
  const dir = await s.directory(options)
  if (dir.renewalInfo === undefined) {
    throw new GatehouseError('ERR_UNSUPPORTED', 'this CA does not offer ARI (no renewalInfo)')
  }
  const url = renewalInfoUrl(dir.renewalInfo, certId)
  const res = await s.http.request('GET', url, { signal: options.signal })
  return {
    info: parseRenewalInfo(jsonOf(res), url),
    retryAfterMs: clampAriRetry(res.retryAfterMs),
  }
}
