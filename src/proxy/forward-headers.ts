/**
 * The header rewriting of a reverse proxy, pure and table-tested. Headers travel as flat
 * `[name, value, name, value, …]` arrays (what Node's `rawHeaders`, undici's dispatch and
 * `res.writeHead` all take), so nothing is copied into objects on the hot path.
 *
 * Upstream (RFC 9110 §7.6.1): hop-by-hop fields and every field named in `Connection` are removed,
 * then our forwarding fields are set, then the route's header operations apply.
 */
import type { HeaderOps } from './types.js'

/** RFC 9110 §7.6.1, RFC 9112 §9.6 and the fields HTTP/2 forbids (RFC 9113 §8.2.2). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/** A route's header operations, compiled once: names to drop, pairs to add. */
export interface CompiledHeaderOps {
  readonly drop: ReadonlySet<string>
  /** The same names as a list, for comparing bytes against (relayed-fields.ts). */
  readonly dropList: readonly string[]
  readonly add: readonly string[]
  /** `set` names Host: ours is replaced (a bare `remove` of Host is ignored: HTTP/1.1 needs one). */
  readonly setsHost: boolean
}

/**
 * Whether a lower-case name is in {@link HOP_BY_HOP}, without hashing it: a name read from a request
 * or a response is a new string, and its hash (for a Set lookup) cost more than these comparisons,
 * which a length that matches no hop-by-hop name skips.
 */
export function isHopByHop(lower: string): boolean {
  switch (lower.length) {
    case 2:
      return lower === 'te'
    case 7:
      return lower === 'trailer' || lower === 'upgrade'
    case 10:
      return lower === 'connection' || lower === 'keep-alive'
    case 14:
      return lower === 'http2-settings'
    case 16:
      return lower === 'proxy-connection'
    case 17:
      return lower === 'transfer-encoding'
    default:
      return false
  }
}

/** Lengths of the {@link HOP_BY_HOP} names: a name of another length is not one, in any case. */
const HOP_BY_HOP_LENGTH = (n: number): boolean =>
  n === 2 || n === 7 || n === 10 || n === 14 || n === 16 || n === 17

export const NO_HEADER_OPS: CompiledHeaderOps = {
  drop: new Set(),
  dropList: [],
  add: [],
  setsHost: false,
}

export function compileHeaderOps(ops: HeaderOps): CompiledHeaderOps {
  const set = Object.entries(ops.set).map(([k, v]) => [k.toLowerCase(), v] as const)
  if (set.length === 0 && ops.remove.length === 0) return NO_HEADER_OPS
  const drop = new Set([...ops.remove.map((n) => n.toLowerCase()), ...set.map(([k]) => k)])
  return {
    drop,
    dropList: [...drop],
    add: set.flat(),
    setsHost: set.some(([k]) => k === 'host'),
  }
}

export interface ForwardContext {
  /** The client connection's peer address. */
  peer: string
  /** The peer is a trusted proxy: its X-Forwarded-* are kept and X-Forwarded-For extended. */
  trusted: boolean
  /** The Host (HTTP/1) or :authority (HTTP/2) the client sent, port included. */
  host: string
  /** The Host sent upstream (the client's, or the upstream's own when preserveHost is off). */
  upstreamHost: string
  /** Protocol version of the client's request, for Via (`1.1` or `2`, RFC 9110 §7.6.3). */
  version: string
  /** Via pseudonym, e.g. `gatehouse`. */
  via: string
  /** Keep `Upgrade` and send `Connection: upgrade` (the WebSocket path, RFC 6455 §4.1). */
  websocket: boolean
}

/** Request headers for the upstream, rebuilt from the client's parsed fields. */
export function forwardRequestHeaders(
  raw: readonly string[],
  ctx: ForwardContext,
  ops: CompiledHeaderOps,
): string[] {
  const listed = connectionTokens(raw)
  const out: string[] = []
  let xff: string | undefined
  let proto: string | undefined
  let fwdHost: string | undefined
  let realIp: string | undefined
  let via: string | undefined
  let cookie: string | undefined
  let upgrade: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    const lower = name.toLowerCase()
    if (lower.charCodeAt(0) === 0x3a /* : HTTP/2 pseudo-header */) continue
    if (lower === 'upgrade' && ctx.websocket) upgrade = value
    if (isHopByHop(lower) || listed?.has(lower) || lower.includes('_')) continue
    switch (lower) {
      case 'host':
      case 'expect': // Node answered 100-continue itself; the upstream gets the body directly.
        continue
      case 'x-forwarded-for':
        if (ctx.trusted) xff = xff === undefined ? value : `${xff}, ${value}`
        continue
      case 'x-forwarded-proto':
        if (ctx.trusted) proto ??= value
        continue
      case 'x-forwarded-host':
        if (ctx.trusted) fwdHost ??= value
        continue
      case 'x-real-ip':
        if (ctx.trusted) realIp ??= value
        continue
      case 'forwarded': // RFC 7239: as spoofable as X-Forwarded-For.
        if (!ctx.trusted) continue
        break
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`
        continue
      case 'cookie': // RFC 9113 §8.2.3: HTTP/2 may split it; HTTP/1.1 needs one field.
        cookie = cookie === undefined ? value : `${cookie}; ${value}`
        continue
    }
    if (ops.drop.size !== 0 && ops.drop.has(lower)) continue
    out.push(name, value)
  }
  if (cookie !== undefined && !ops.drop.has('cookie')) out.push('cookie', cookie)
  const ours = [
    'host',
    ctx.upstreamHost,
    'x-forwarded-for',
    xff === undefined ? ctx.peer : `${xff}, ${ctx.peer}`,
    'x-forwarded-proto',
    proto ?? 'https',
    'x-forwarded-host',
    fwdHost ?? ctx.host,
    'x-real-ip',
    realIp ?? ctx.peer,
    'via',
    `${via === undefined ? '' : `${via}, `}${ctx.version} ${ctx.via}`,
  ]
  for (let i = 0; i < ours.length; i += 2) {
    const skip = i === 0 ? ops.setsHost : ops.drop.has(ours[i] as string)
    if (!skip) out.push(ours[i] as string, ours[i + 1] as string)
  }
  if (ctx.websocket && upgrade !== undefined) out.push('connection', 'upgrade', 'upgrade', upgrade)
  for (const v of ops.add) out.push(v)
  return out
}

/** Response headers for the client: hop-by-hop removed, then the route's operations. */
export function forwardResponseHeaders(
  raw: readonly (Buffer | string)[],
  ops: CompiledHeaderOps,
  setCookie?: string,
): string[] {
  const strings: string[] = new Array<string>(raw.length)
  let hasConnection = false
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] as Buffer | string
    const text = typeof v === 'string' ? v : v.toString('latin1')
    strings[i] = text
    if ((i & 1) === 0 && text.length === 10) hasConnection = true
  }
  const listed = hasConnection ? connectionTokens(strings) : undefined
  const out: string[] = []
  const dropping = listed !== undefined || ops.drop.size !== 0
  for (let i = 0; i < strings.length; i += 2) {
    const name = strings[i] as string
    // Most names are of no hop-by-hop length and nothing else is dropped: no lower-case copy.
    if (dropping || HOP_BY_HOP_LENGTH(name.length)) {
      const lower = name.toLowerCase()
      if (isHopByHop(lower) || listed?.has(lower) || ops.drop.has(lower)) continue
    }
    out.push(name, strings[i + 1] as string)
  }
  if (setCookie !== undefined) out.push('set-cookie', setCookie)
  for (const v of ops.add) out.push(v)
  return out
}

/** A route's headersDown on an answer we made ourselves (static files, redirects, fixed responses). */
export function applyHeaderOps(headers: string[], ops: CompiledHeaderOps): string[] {
  if (ops === NO_HEADER_OPS) return headers
  const out: string[] = []
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    if (!ops.drop.has(name.toLowerCase())) out.push(name, headers[i + 1] as string)
  }
  for (const v of ops.add) out.push(v)
  return out
}

/** Headers for an HTTP/2 `respond()`: an object, `set-cookie` kept as a list (RFC 9113 §8.2.3). */
export function toHttp2Headers(
  flat: readonly string[],
  status: number,
): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = { ':status': status }
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase()
    const value = flat[i + 1] as string
    const prev = out[name]
    if (prev === undefined) out[name] = value
    else if (name === 'set-cookie')
      out[name] = Array.isArray(prev) ? [...prev, value] : [String(prev), value]
    else out[name] = `${String(prev)}, ${value}`
  }
  return out
}

/** Names listed in Connection fields (lower case), undefined when there are none. */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue
    const value = (raw[i + 1] as string).toLowerCase()
    // What nearly every peer sends names nothing beyond the hop-by-hop set: no split, no Set.
    if (value === 'keep-alive' || value === 'close') continue
    for (const t of value.split(',')) {
      const token = t.trim()
      if (token) (tokens ??= new Set()).add(token)
    }
  }
  return tokens
}
