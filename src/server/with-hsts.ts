/** Strict-Transport-Security (RFC 6797) on every HTTPS response of a plain request handler. */
import type { HstsOptions, RequestHandler } from './https-server-options.js'

export function withHsts(
  app: RequestHandler,
  hsts: boolean | HstsOptions | undefined,
): RequestHandler {
  if (!hsts) return app
  const o = hsts === true ? {} : hsts
  const value = [
    `max-age=${o.maxAgeSeconds ?? 31_536_000}`,
    ...(o.includeSubDomains ? ['includeSubDomains'] : []),
    ...(o.preload ? ['preload'] : []),
  ].join('; ')
  return (req, res) => {
    res.setHeader('strict-transport-security', value)
    app(req, res)
  }
}
