import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { base64url } from '../_internal/base64url.js'

/** The JWS algorithms Gatehouse signs with (RFC 7518 §3.1); RFC 8555 §6.2 requires ES256 support. */
export type JwsAlgorithm = 'ES256' | 'ES384' | 'RS256'

/** A public JWK as sent in the `jwk` header (RFC 7517), only the members RFC 7638 §3.2 requires. */
export type PublicJwk =
  { kty: 'EC'; crv: 'P-256' | 'P-384'; x: string; y: string } | { kty: 'RSA'; e: string; n: string }

/**
 * The algorithm implied by a key: EC P-256 → ES256, EC P-384 → ES384, RSA → RS256. RFC 7518 §3.4 ties
 * the ES curve to the hash, so the key alone decides.
 */
export function algorithmFor(key: KeyObject): JwsAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'prime256v1' || curve === 'P-256') return 'ES256'
    if (curve === 'secp384r1' || curve === 'P-384') return 'ES384'
    throw new TypeError(`unsupported EC curve ${String(curve)}; use P-256 or P-384`)
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  throw new TypeError(
    `unsupported key type ${String(key.asymmetricKeyType)}; use an EC P-256/P-384 or RSA key`,
  )
}

/** Throws a TypeError unless `key` is a private key Gatehouse can sign with. */
export function assertSigningKey(key: KeyObject, what: string): void {
  if (typeof key !== 'object' || key === null || (key as { type?: unknown }).type !== 'private') {
    throw new TypeError(`${what} must be a private KeyObject (crypto.createPrivateKey(pem))`)
  }
  algorithmFor(key)
}

/** The public JWK of a (private or public) key, with only the RFC 7638 §3.2 required members. */
export function exportJwk(key: KeyObject): PublicJwk {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  const jwk: JsonWebKey = pub.export({ format: 'jwk' })
  if (jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'P-384') && jwk.x && jwk.y) {
    return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
  }
  if (jwk.kty === 'RSA' && jwk.e && jwk.n) return { kty: 'RSA', e: jwk.e, n: jwk.n }
  throw new TypeError(`cannot export key type ${String(jwk.kty)} as an ACME account JWK`)
}

/**
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order with no whitespace. The
 * member order below is that order for each key type, so `JSON.stringify` yields the canonical form.
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  const canonical =
    jwk.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })
  return base64url(createHash('sha256').update(canonical, 'utf8').digest())
}
