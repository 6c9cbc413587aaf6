import { isIP } from 'node:net'

/**
 * The canonical text of an IP address, or undefined when `s` is not one. IPv4 stays dotted decimal;
 * IPv6 becomes the RFC 5952 §4 form (lower case, leading zeros dropped, the longest run of zero groups
 * written `::`), so `2001:DB8:0:0::1` and `2001:db8::1` compare equal. Brackets and zone IDs are not
 * accepted: neither can appear in a certificate or an ACME identifier (RFC 8738 §3).
 */
export function canonicalIp(s: string): string | undefined {
  if (typeof s !== 'string') return undefined
  const version = isIP(s)
  if (version === 4) return s
  if (version !== 6 || s.includes('%')) return undefined
  try {
    // The WHATWG URL host serializer implements exactly the RFC 5952 compression rules.
    return new URL(`http://[${s}]/`).hostname.slice(1, -1)
  } catch {
    return undefined
  }
}
