import type { KeyObject } from 'node:crypto'
import { GatehouseError } from '../errors.js'
import { signExternalAccountBinding } from './jws.js'
import { assertCertId } from './renewal-info.js'
import type { Directory, Identifier } from './types.js'

/** RFC 8555 §7.3: what a newAccount request may say. */
export interface NewAccountRequest {
  contact?: string[]
  termsOfServiceAgreed?: boolean
  onlyReturnExisting?: boolean
  /** RFC 8555 §7.3.4: the key id and base64url HMAC key the CA gave out of band. */
  externalAccountBinding?: { kid: string; hmacKey: string }
}

/** RFC 8555 §7.4: what a newOrder request may say. */
export interface NewOrderRequest {
  identifiers: Identifier[]
  notBefore?: string
  notAfter?: string
  /** draft-ietf-acme-profiles: must be one of the directory's `meta.profiles`. */
  profile?: string
  /** RFC 9773 §5: the CertID of the certificate this order replaces; dropped if the CA has no ARI. */
  replaces?: string
}

/** The newAccount payload (RFC 8555 §7.3), with the EAB inner JWS (§7.3.4) when asked for. */
export function newAccountPayload(
  req: NewAccountRequest,
  accountKey: KeyObject,
  dir: Directory,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {}
  if (req.contact !== undefined) payload['contact'] = req.contact
  if (req.termsOfServiceAgreed !== undefined) {
    payload['termsOfServiceAgreed'] = req.termsOfServiceAgreed
  }
  if (req.onlyReturnExisting) payload['onlyReturnExisting'] = true
  if (req.externalAccountBinding) {
    payload['externalAccountBinding'] = signExternalAccountBinding(accountKey, {
      ...req.externalAccountBinding,
      url: dir.newAccount,
    })
  }
  return payload
}

/**
 * The newOrder payload (RFC 8555 §7.4). A profile the CA does not advertise is refused here, before
 * any request, so the error can list what IS offered.
 */
export function newOrderPayload(req: NewOrderRequest, dir: Directory): Record<string, unknown> {
  if (!Array.isArray(req.identifiers) || req.identifiers.length === 0) {
    throw new TypeError('newOrder needs at least one identifier ({ type: "dns", value: "…" })')
  }
  const payload: Record<string, unknown> = { identifiers: req.identifiers }
  if (req.notBefore !== undefined) payload['notBefore'] = req.notBefore
  if (req.notAfter !== undefined) payload['notAfter'] = req.notAfter
  if (req.profile !== undefined) payload['profile'] = checkProfile(dir, req.profile)
  // RFC 9773 §5: `replaces` only means something to a CA that offers ARI.
  if (req.replaces !== undefined && dir.renewalInfo !== undefined) {
    assertCertId(req.replaces)
    payload['replaces'] = req.replaces
  }
  return payload
}

/** draft-ietf-acme-profiles §3: a profile must be one the directory advertises. */
function checkProfile(dir: Directory, profile: string): string {
  const offered = dir.meta?.profiles
  if (offered === undefined || Object.keys(offered).length === 0) {
    throw new GatehouseError(
      'ERR_UNSUPPORTED',
      `profile "${profile}" requested but this CA offers no profiles`,
    )
  }
  if (!Object.hasOwn(offered, profile)) {
    throw new GatehouseError(
      'ERR_UNSUPPORTED',
      `profile "${profile}" is not offered by this CA; it offers: ${Object.keys(offered).join(', ')}`,
    )
  }
  return profile
}

/** RFC 8555 §7.6: the revokeCert payload; `reason` is an RFC 5280 §5.3.1 CRLReason code. */
export function revocationPayload(certDer: Uint8Array, reason: number | undefined) {
  if (!(certDer instanceof Uint8Array) || certDer.length === 0) {
    throw new TypeError('certDer must be the DER bytes of a certificate (a non-empty Uint8Array)')
  }
  if (reason !== undefined && (!Number.isInteger(reason) || reason < 0 || reason > 10)) {
    throw new RangeError(`reason must be an RFC 5280 §5.3.1 code 0-10, got ${reason}`)
  }
  const certificate = Buffer.from(certDer).toString('base64url')
  return reason === undefined ? { certificate } : { certificate, reason }
}
