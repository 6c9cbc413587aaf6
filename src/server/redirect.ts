import { stripPort } from '../issuance/http-01-responder.js'

/**
 * Where an HTTP request is redirected: `https://<host>[:port]<path>`, or undefined when the Host is
 * not one this server serves (no open redirect through a forged Host header) or is malformed.
 * Pure, so the rules are table-tested.
 */
export function httpsRedirectTarget(
  hostHeader: string | undefined,
  url: string | undefined,
  httpsPort: number,
  serves: (host: string) => boolean,
): string | undefined {
  if (!hostHeader || !url?.startsWith('/')) return undefined
  const host = stripPort(hostHeader).toLowerCase().replace(/\.$/, '')
  if (!/^[a-z0-9.-]+$|^[0-9a-f:.]+$/.test(host) || !serves(host)) return undefined
  const authority = host.includes(':') ? `[${host}]` : host
  return `https://${authority}${httpsPort === 443 ? '' : `:${httpsPort}`}${url}`
}
