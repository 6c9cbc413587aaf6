import { createHmac, sign, type KeyObject } from 'node:crypto'
import { base64url, base64urlDecode } from '../_internal/base64url.js'
import { algorithmFor, exportJwk, type JwsAlgorithm, type PublicJwk } from './jwk.js'

/** RFC 7515 §7.2.2: the flattened JWS JSON serialization, the only one RFC 8555 §6.2 allows. */
export interface FlattenedJws {
  protected: string
  payload: string
  signature: string
}

/** The protected header of an ACME request (RFC 8555 §6.2). */
export interface AcmeProtectedHeader {
  alg: JwsAlgorithm | 'HS256'
  /** RFC 8555 §6.4: the URL the request is sent to. */
  url: string
  /** RFC 8555 §6.5; absent only in inner JWSs (key change §7.3.5, EAB §7.3.4). */
  nonce?: string
  kid?: string
  jwk?: PublicJwk
}

export interface SignOptions {
  url: string
  nonce?: string
  /**
   * The account URL. RFC 8555 §6.2: requests by an existing account carry `kid`; newAccount, revocation
   * by certificate key and the inner key-change JWS carry the public key as `jwk` instead.
   */
  kid?: string
}

/**
 * Signs an ACME request. `payload` `undefined` gives the empty payload of POST-as-GET (RFC 8555 §6.3),
 * which is not the same as `{}`.
 */
export function signJws(key: KeyObject, payload: unknown, options: SignOptions): FlattenedJws {
  const alg = algorithmFor(key)
  const header: AcmeProtectedHeader = { alg, url: options.url }
  if (options.nonce !== undefined) header.nonce = options.nonce
  if (options.kid !== undefined) header.kid = options.kid
  else header.jwk = exportJwk(key)
  const protectedPart = base64url(JSON.stringify(header))
  const payloadPart = payload === undefined ? '' : base64url(JSON.stringify(payload))
  const input = Buffer.from(`${protectedPart}.${payloadPart}`, 'ascii')
  // RFC 7518 §3.4: ECDSA signatures are R || S of fixed width, not DER.
  const signature =
    alg === 'RS256'
      ? sign('sha256', input, key)
      : sign(alg === 'ES256' ? 'sha256' : 'sha384', input, { key, dsaEncoding: 'ieee-p1363' })
  return { protected: protectedPart, payload: payloadPart, signature: base64url(signature) }
}

/**
 * RFC 8555 §7.3.4: the External Account Binding, a JWS over the account's public JWK, MACed with
 * HS256 under the key the CA handed out, so the CA can tie the new ACME account to an existing
 * customer account.
 */
export function signExternalAccountBinding(
  accountKey: KeyObject,
  options: { kid: string; hmacKey: string; url: string },
): FlattenedJws {
  if (typeof options.kid !== 'string' || options.kid === '') {
    throw new TypeError('externalAccountBinding.kid must be a non-empty string (from your CA)')
  }
  const mac = base64urlDecode(options.hmacKey)
  if (mac.length === 0) {
    throw new TypeError('externalAccountBinding.hmacKey must be a non-empty base64url string')
  }
  const header: AcmeProtectedHeader = { alg: 'HS256', kid: options.kid, url: options.url }
  const protectedPart = base64url(JSON.stringify(header))
  const payloadPart = base64url(JSON.stringify(exportJwk(accountKey)))
  const signature = createHmac('sha256', mac).update(`${protectedPart}.${payloadPart}`).digest()
  return { protected: protectedPart, payload: payloadPart, signature: base64url(signature) }
}
