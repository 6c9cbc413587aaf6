/**
 * What a route's header rules (headersUp, headersDown) may hold, checked once when the route is
 * built (route-state.ts), whichever way it came: the library's SiteOptions, or gatehouse.toml, whose
 * reader reports the same problems at the file's line (src/config/header-ops.ts). A rule's value is
 * written as it is onto heads we serialise ourselves (the WebSocket 101, HTTP/1.1 answers): a CR or
 * LF in it would split the message.
 */
import { HOP_BY_HOP } from './forward-headers.js'
import { CONTROL_OCTET, TOKEN } from './http-head.js'
import type { HeaderOps } from './types.js'

/**
 * Framing and connection headers are the proxy's own (RFC 9112 §6, §7; RFC 9110 §7.6.1): letting a
 * route set them would let a configuration desynchronise the framing between proxy and upstream.
 */
export const PROXY_MANAGED_HEADERS: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'content-length'])

/** Why `name` cannot be set or removed by a header rule; undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (!TOKEN.test(name)) return `${JSON.stringify(name)} is not a header name (RFC 9110 §5.1 token)`
  if (PROXY_MANAGED_HEADERS.has(name.toLowerCase()))
    return `${name} is a framing or connection header the proxy manages itself; it cannot be changed`
  return undefined
}

/** Why a header rule cannot set `value`; undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  // RFC 9110 §5.5 forbids CR, LF and NUL; our HTTP/1.1 writer refuses the other controls too.
  if (CONTROL_OCTET.test(value))
    return `${JSON.stringify(value)} holds a control character (CR, LF, NUL, ...), which no field value may`
  return undefined
}

/**
 * Throws a TypeError naming `route`, the list (`which`) and the header when `ops` sets or removes
 * a header no rule may, or sets a value no field may hold.
 */
export function checkHeaderOps(
  ops: HeaderOps,
  which: 'headersUp' | 'headersDown',
  route: string,
): void {
  for (const [name, value] of Object.entries(ops.set)) {
    const problem =
      headerNameProblem(name) ??
      (typeof value === 'string' ? headerValueProblem(value) : `${String(value)} is not a string`)
    if (problem !== undefined)
      throw new TypeError(`${route}: ${which}.set ${JSON.stringify(name)}: ${problem}`)
  }
  for (const name of ops.remove) {
    const problem =
      typeof name === 'string' ? headerNameProblem(name) : `${String(name)} is not a header name`
    if (problem !== undefined)
      throw new TypeError(`${route}: ${which}.remove ${JSON.stringify(name)}: ${problem}`)
  }
}
