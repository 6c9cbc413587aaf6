/**
 * Pure parsers for the HTTP headers ACME relies on. Header values come from undici as a string or,
 * when repeated, an array of strings.
 */
export type HeaderValue = string | string[] | undefined

/**
 * RFC 9110 §10.2.3: `Retry-After` is either delay-seconds or an HTTP-date. Returns milliseconds from
 * `nowMs`, never negative, or `undefined` when absent or unparsable (RFC 8555 §6.6 makes it advisory).
 */
export function parseRetryAfter(value: HeaderValue, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (text === undefined || text === '') return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP-date always names a weekday or month; without letters, Date.parse reads "-5" as a year.
  if (!/[A-Za-z]/.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowMs)
}

/** One link of a `Link` header (RFC 8288 §3), its target resolved against the request URL. */
export interface Link {
  url: string
  rel: string[]
}

/**
 * RFC 8288 §3: `<uri>; rel="a b", <uri2>; rel=up`. RFC 8555 uses `rel="alternate"` for other chains
 * (§7.4.2), `rel="up"` for issuer certificates and `rel="index"` for the directory (§7.1).
 */
export function parseLinks(value: HeaderValue, baseUrl: string): Link[] {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value]
  const links: Link[] = []
  for (const header of values) {
    // A URI may contain commas and semicolons only inside <…>, so match link by link.
    const re = /<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*(?:=\s*(?:"[^"]*"|[^;,]*))?)*)/g
    for (const m of header.matchAll(re)) {
      const target = m[1] ?? ''
      let url: string
      try {
        url = new URL(target, baseUrl).href
      } catch {
        continue
      }
      links.push({ url, rel: relsOf(m[2] ?? '') })
    }
  }
  return links
}

function relsOf(params: string): string[] {
  for (const m of params.matchAll(/;\s*([^;,=\s]+)\s*(?:=\s*("[^"]*"|[^;,]*))?/g)) {
    if (m[1]?.toLowerCase() !== 'rel') continue
    const raw = (m[2] ?? '').trim()
    const unquoted = raw.startsWith('"') ? raw.slice(1, -1) : raw
    return unquoted.split(/\s+/).filter((r) => r !== '')
  }
  return []
}

/** The URLs of the links with relation `rel`, in header order. */
export function linksWithRel(links: Link[], rel: string): string[] {
  return links.filter((l) => l.rel.includes(rel)).map((l) => l.url)
}
