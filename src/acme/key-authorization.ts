import { createHash, type KeyObject } from 'node:crypto'
import { base64url } from '../_internal/base64url.js'
import { exportJwk, jwkThumbprint } from './jwk.js'

/**
 * RFC 8555 §8.1: `token || '.' || base64url(Thumbprint(accountKey))`. It binds the challenge answer to
 * the account key, so someone who sees the token alone cannot answer for another account.
 */
export function keyAuthorization(token: string, accountKey: KeyObject): string {
  if (typeof token !== 'string' || token === '') {
    throw new TypeError('challenge token must be a non-empty string')
  }
  return `${token}.${jwkThumbprint(exportJwk(accountKey))}`
}

/** RFC 8555 §8.4: the TXT record value of `_acme-challenge.<domain>`, base64url(SHA-256(keyAuth)). */
export function dns01TxtValue(keyAuth: string): string {
  return base64url(createHash('sha256').update(keyAuth, 'utf8').digest())
}
