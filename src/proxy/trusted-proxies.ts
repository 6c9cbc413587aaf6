/**
 * `trustedProxies` matching: a list of addresses and CIDR blocks (IPv4 and IPv6), compiled once into
 * a predicate. Pure. An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`, what a dual-stack socket reports)
 * matches IPv4 entries.
 */

interface Block {
  /** 4 bytes (IPv4) or 16 (IPv6). */
  bytes: Uint8Array
  prefix: number
}

/** Compiles `entries`; throws a RangeError naming a bad entry. */
export function compileTrustedProxies(entries: readonly string[]): (ip: string) => boolean {
  const blocks = entries.map(parseBlock)
  if (blocks.length === 0) return () => false
  return (ip) => {
    const addr = parseAddress(ip)
    if (!addr) return false
    return blocks.some((b) => b.bytes.length === addr.length && inBlock(addr, b))
  }
}

function parseBlock(entry: string): Block {
  const slash = entry.indexOf('/')
  const addr = parseAddress(slash < 0 ? entry : entry.slice(0, slash))
  const bits = slash < 0 ? undefined : entry.slice(slash + 1)
  const max = addr ? addr.length * 8 : 0
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN
  if (!addr || !(prefix <= max)) {
    throw new RangeError(
      `trusted proxy ${JSON.stringify(entry)} is not an address or CIDR block; use e.g. 10.0.0.0/8 or fd00::/8`,
    )
  }
  return { bytes: addr, prefix }
}

function inBlock(addr: Uint8Array, block: Block): boolean {
  const full = block.prefix >> 3
  for (let i = 0; i < full; i++) if (addr[i] !== block.bytes[i]) return false
  const rest = block.prefix & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((addr[full] ?? 0) & mask) === ((block.bytes[full] ?? 0) & mask)
}

/** 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6, undefined when not an address. */
export function parseAddress(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%')
  const ip = zone >= 0 ? text.slice(0, zone) : text
  if (ip.includes(':')) {
    const v6 = parseIpv6(ip)
    if (v6 && isV4Mapped(v6)) return v6.subarray(12)
    return v6
  }
  return parseIpv4(ip)
}

function parseIpv4(ip: string): Uint8Array | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? ''
    // No leading zeros: `010` is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined
    out[i] = Number(p)
  }
  return out
}

function parseIpv6(ip: string): Uint8Array | undefined {
  const halves = ip.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const groups = [...head, ...tail]
  const out = new Uint8Array(16)
  // A trailing dotted quad takes the place of two groups (RFC 4291 §2.2 form 3).
  const last = groups[groups.length - 1]
  let v4: Uint8Array | undefined
  if (last?.includes('.')) {
    v4 = parseIpv4(last)
    if (!v4) return undefined
    groups.pop()
    ;(tail.length > 0 ? tail : head).pop()
  }
  const slots = 8 - (v4 ? 2 : 0)
  if (halves.length === 1 ? groups.length !== slots : groups.length >= slots) return undefined
  const words: number[] = []
  for (const g of head) words.push(parseGroup(g))
  for (let i = head.length + tail.length; i < slots; i++) words.push(0)
  for (const g of tail) words.push(parseGroup(g))
  if (words.some((w) => Number.isNaN(w))) return undefined
  words.forEach((w, i) => {
    out[i * 2] = w >> 8
    out[i * 2 + 1] = w & 0xff
  })
  if (v4) out.set(v4, 12)
  return out
}

function parseGroup(g: string): number {
  return /^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}
