import { base64url } from '../_internal/base64url.js'
import { locationOf } from './http.js'
import { newOrderPayload, type NewOrderRequest } from './requests.js'
import { resourceOf, type AcmeSession, type CallOptions } from './session.js'
import type { Located, OrderResource } from './types.js'

/** RFC 8555 §7.4: creates an order, checking the requested profile against the directory. */
export async function newOrder(
  s: AcmeSession,
  req: NewOrderRequest,
  options: CallOptions,
): Promise<Located<OrderResource>> {
  const dir = await s.directory(options)
  const payload = newOrderPayload(req, dir)
  const res = await s.post(dir.newOrder, payload, options)
  return { url: locationOf(res), body: resourceOf<OrderResource>(res) }
}

/** RFC 8555 §7.4: submits the CSR (DER); the order moves to `processing`, then `valid`. */
export async function finalizeOrder(
  s: AcmeSession,
  finalizeUrl: string,
  csrDer: Uint8Array,
  options: CallOptions,
): Promise<Located<OrderResource>> {
  if (!(csrDer instanceof Uint8Array) || csrDer.length === 0) {
    throw new TypeError('csrDer must be the DER bytes of a CSR (a non-empty Uint8Array)')
  }
  const res = await s.post(finalizeUrl, { csr: base64url(csrDer) }, options)
  // Most CAs send the order's Location here; without it the finalize URL is all we know.
  const url = res.headers['location'] ? locationOf(res) : finalizeUrl
  return { url, body: resourceOf<OrderResource>(res) }
}

/** Polls an order until its status is in `until`, or it is `invalid` (final; see `body.error`). */
export function waitForOrder(
  s: AcmeSession,
  url: string,
  until: OrderResource['status'][],
  options: CallOptions,
): Promise<Located<OrderResource>> {
  if (!Array.isArray(until) || until.length === 0) {
    throw new TypeError('waitForOrder needs the statuses to wait for, e.g. ["valid"]')
  }
  return s.poll<OrderResource>(
    `order ${url}`,
    url,
    options,
    (o) => until.includes(o.status) || o.status === 'invalid',
  )
}
