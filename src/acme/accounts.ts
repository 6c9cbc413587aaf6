import type { KeyObject } from 'node:crypto'
import { locationOf } from './http.js'
import { assertSigningKey, exportJwk } from './jwk.js'
import { signJws } from './jws.js'
import { newAccountPayload, type NewAccountRequest } from './requests.js'
import { resourceOf, type AcmeSession, type CallOptions } from './session.js'
import { signedPost } from './signed-post.js'
import type { AccountResource, Located } from './types.js'

/** RFC 8555 §7.3: creates (or, with `onlyReturnExisting`, looks up) the account of the session's key. */
export async function newAccount(
  s: AcmeSession,
  req: NewAccountRequest,
  options: CallOptions,
): Promise<Located<AccountResource>> {
  const dir = await s.directory(options)
  const payload = newAccountPayload(req, s.key, dir)
  // §6.2: no account URL exists yet, so this request carries the public key (`jwk`).
  const res = await signedPost(s.ctx, dir.newAccount, payload, {
    key: s.key,
    signal: options.signal,
  })
  s.accountUrl = locationOf(res)
  return { url: s.accountUrl, body: resourceOf<AccountResource>(res) }
}

/** RFC 8555 §7.3.2: replaces the account's contact URLs. */
export function updateAccount(
  s: AcmeSession,
  req: { contact?: string[] },
  options: CallOptions,
): Promise<Located<AccountResource>> {
  const url = s.requireAccount()
  const payload = req.contact === undefined ? {} : { contact: req.contact }
  return s.postResource<AccountResource>(url, payload, options)
}

/** RFC 8555 §7.3.6: deactivates the account for good; later requests with it fail `unauthorized`. */
export function deactivateAccount(
  s: AcmeSession,
  options: CallOptions,
): Promise<Located<AccountResource>> {
  const url = s.requireAccount()
  return s.postResource<AccountResource>(url, { status: 'deactivated' }, options)
}

/**
 * RFC 8555 §7.3.5: the inner JWS, signed by the new key (with `jwk`, no nonce), proves possession of
 * it; the outer one, signed by the old key, proves the account agrees. Afterwards the session signs
 * with `newKey`.
 */
export async function rolloverKey(
  s: AcmeSession,
  newKey: KeyObject,
  options: CallOptions,
): Promise<void> {
  assertSigningKey(newKey, 'newKey')
  const account = s.requireAccount()
  const dir = await s.directory(options)
  const inner = signJws(newKey, { account, oldKey: exportJwk(s.key) }, { url: dir.keyChange })
  await s.post(dir.keyChange, inner, options)
  s.key = newKey
}
