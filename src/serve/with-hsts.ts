import type { TlsConfig } from '../config/types.js'
import type { SiteOptions } from '../proxy/types.js'

/**
 * `[tls] hsts` as a response header on every route (RFC 6797 §6.1), unless a route sets its own
 * `strict-transport-security` in `header_down`. Pure; the sites are not modified.
 */
export function withHsts(sites: SiteOptions[], hsts: TlsConfig['hsts']): SiteOptions[] {
  if (!hsts) return sites
  const value = [
    `max-age=${hsts.maxAgeSeconds}`,
    ...(hsts.includeSubDomains ? ['includeSubDomains'] : []),
    ...(hsts.preload ? ['preload'] : []),
  ].join('; ')
  return sites.map((site) => ({
    ...site,
    routes: site.routes.map((route) =>
      'strict-transport-security' in route.headersDown.set
        ? route
        : {
            ...route,
            headersDown: {
              ...route.headersDown,
              set: { 'strict-transport-security': value, ...route.headersDown.set },
            },
          },
    ),
  }))
}
