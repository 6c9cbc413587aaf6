import { readFile } from 'node:fs/promises'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { canonicalIp } from '../crypto/ip.js'

/** What an IPv6 address is, for choosing the ones worth a certificate (RFC 4291 §2.4, RFC 6890). */
export type Ipv6Kind =
  'global' | 'unique-local' | 'link-local' | 'loopback' | 'multicast' | 'unspecified' | 'special'

// linux/if_addr.h: the per-address flags /proc/net/if_inet6 prints (their low byte).
const IFA_F_TEMPORARY = 0x01
const IFA_F_DADFAILED = 0x08
const IFA_F_DEPRECATED = 0x20
const IFA_F_TENTATIVE = 0x40
/** Addresses that are not stable: RFC 8981 privacy addresses, and ones not (or no longer) usable. */
const UNSTABLE = IFA_F_TEMPORARY | IFA_F_DADFAILED | IFA_F_DEPRECATED | IFA_F_TENTATIVE

export interface StableIpv6Options {
  /** Include unique local addresses (fc00::/7, RFC 4193). Default false: no public CA issues for them. */
  includeUniqueLocal?: boolean
  /** Include link-local addresses (fe80::/10). Default false. */
  includeLinkLocal?: boolean
  /** The interfaces to look at. Default `os.networkInterfaces()`. */
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>
  /**
   * Linux's /proc/net/if_inet6 text, which carries the flags Node does not expose (temporary,
   * deprecated, tentative). Default: read from /proc; where it does not exist, no address is
   * dropped for its flags.
   */
  ifInet6?: string
}

/**
 * The machine's stable IPv6 addresses (issue 3 §3, for IP-address certificates, RFC 8738): global
 * unicast addresses, neither RFC 8981 temporary ("privacy") addresses nor deprecated, tentative or
 * duplicate ones, which would make a certificate for an address that is gone within a day. ULA and
 * link-local addresses only when asked for. Sorted, canonical (RFC 5952), without duplicates.
 */
export async function stableIpv6Addresses(options: StableIpv6Options = {}): Promise<string[]> {
  const interfaces = options.interfaces ?? networkInterfaces()
  const text = options.ifInet6 ?? (await readFile('/proc/net/if_inet6', 'utf8').catch(() => ''))
  const flags = parseIfInet6(text)
  const wanted = new Set<Ipv6Kind>(['global'])
  if (options.includeUniqueLocal) wanted.add('unique-local')
  if (options.includeLinkLocal) wanted.add('link-local')
  const out = new Set<string>()
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv6' || info.internal) continue
      const address = canonicalIp(info.address)
      if (address === undefined || !wanted.has(ipv6Kind(address))) continue
      if (((flags.get(address) ?? 0) & UNSTABLE) !== 0) continue
      out.add(address)
    }
  }
  return [...out].sort()
}

/**
 * Parses /proc/net/if_inet6 (`<32 hex digits> <ifindex> <prefix> <scope> <flags> <device>` per line)
 * into canonical address → flags. Lines that do not parse are skipped.
 */
export function parseIfInet6(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const [hex, , , , flags] = line.trim().split(/\s+/)
    if (hex === undefined || !/^[0-9a-f]{32}$/i.test(hex) || flags === undefined) continue
    const address = canonicalIp(hex.replace(/(.{4})(?!$)/g, '$1:'))
    const value = Number.parseInt(flags, 16)
    if (address !== undefined && Number.isFinite(value)) out.set(address, value)
  }
  return out
}

/** The kind of a canonical IPv6 address. */
export function ipv6Kind(address: string): Ipv6Kind {
  const h = hextets(address)
  const [a = 0, b = 0] = h
  if (h.every((x) => x === 0)) return 'unspecified'
  if (h.slice(0, 7).every((x) => x === 0) && h[7] === 1) return 'loopback'
  if (a >= 0xff00) return 'multicast'
  if ((a & 0xffc0) === 0xfe80) return 'link-local'
  if ((a & 0xfe00) === 0xfc00) return 'unique-local'
  // 2000::/3 is global unicast, less documentation (2001:db8::/32, RFC 3849) and Teredo
  // (2001::/32, RFC 4380), whose addresses change with the NAT in front.
  if ((a & 0xe000) === 0x2000 && !(a === 0x2001 && (b === 0x0db8 || b === 0))) return 'global'
  return 'special'
}

/** The eight 16-bit groups of an IPv6 address (canonical text, no embedded IPv4 expected). */
function hextets(address: string): number[] {
  const [head = '', tail] = address.split('::')
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((x) => parseInt(x, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}
