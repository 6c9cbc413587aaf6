/**
 * CAA (RFC 8659): which CAs a domain allows to issue for it. Pure functions over records, with the
 * lookup injected, so the tree walk and the property rules are table-tested without DNS.
 */

/** One CAA record as `dns.Resolver#resolveCaa` returns it: the flags and one `tag: value` pair. */
export interface CaaRecord {
  /** The flags octet; bit 0 (128) is the Issuer Critical Flag (RFC 8659 §4.1). */
  critical: number
  [tag: string]: string | number
}

/** The relevant RRset (RFC 8659 §3) and where it was found; `at` is undefined when none exists. */
export interface RelevantCaa {
  at?: string
  records: CaaRecord[]
}

/** The CAA records at exactly `name`: `[]` when there are none (NODATA or NXDOMAIN). */
export type CaaLookup = (name: string) => Promise<CaaRecord[]>

/**
 * RFC 8659 §3: the relevant RRset for `name` (for `*.X`, for X) is the CAA RRset of the closest
 * ancestor-or-self that has one, walking up label by label to the TLD. Lookup errors propagate:
 * a CA that cannot tell whether CAA forbids it refuses to issue.
 */
export async function findRelevantCaa(name: string, lookup: CaaLookup): Promise<RelevantCaa> {
  let domain = name.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase()
  while (domain !== '') {
    const records = await lookup(domain)
    if (records.length > 0) return { at: domain, records }
    const dot = domain.indexOf('.')
    domain = dot < 0 ? '' : domain.slice(dot + 1)
  }
  return { records: [] }
}

/** Whether the CA known by `identities` may issue, and the record that decided it. */
export interface CaaDecision {
  allowed: boolean
  /** Why, in a phrase: `no CAA records`, `issue "letsencrypt.org"`, `critical unknown tag "tbs"`… */
  reason: string
  /** The CA domain names the relevant records allow (from the properties that apply). */
  allows: string[]
}

const KNOWN_TAGS = new Set([
  'issue',
  'issuewild',
  'iodef',
  'issuemail',
  'contactemail',
  'contactphone',
])

/**
 * RFC 8659 §4: evaluates the relevant RRset for a CA whose issuer domain names are `identities`.
 * - A property with the Issuer Critical Flag and a tag the CA does not know forbids issuance (§4.1).
 * - For a wildcard name, `issuewild` properties apply when there are any, else `issue` (§4.3).
 * - With no applicable property, any CA may issue; `issue ";"` (an empty issuer) allows none (§4.2).
 * Issuer domain names compare case-insensitively; parameters after `;` are not checked here.
 */
export function evaluateCaa(
  records: readonly CaaRecord[],
  identities: readonly string[],
  wildcard: boolean,
): CaaDecision {
  if (records.length === 0) return { allowed: true, reason: 'no CAA records', allows: [] }
  for (const record of records) {
    const tag = tagOf(record)
    if ((record.critical & 128) !== 0 && !KNOWN_TAGS.has(tag)) {
      return { allowed: false, reason: `critical unknown tag "${tag}"`, allows: [] }
    }
  }
  const values = (tag: string): string[] =>
    records.filter((r) => tagOf(r) === tag).map((r) => String(r[tagKey(r)] ?? ''))
  const wild = wildcard ? values('issuewild') : []
  const [tag, applicable] = wild.length > 0 ? ['issuewild', wild] : ['issue', values('issue')]
  if (applicable.length === 0) {
    return {
      allowed: true,
      reason: `no ${wildcard ? 'issue or issuewild' : 'issue'} property`,
      allows: [],
    }
  }
  const allows = applicable.map(issuerDomain).filter((d) => d !== '')
  const wanted = new Set(identities.map((i) => i.toLowerCase()))
  const match = allows.find((d) => wanted.has(d))
  if (match !== undefined) return { allowed: true, reason: `${tag} "${match}"`, allows }
  const list = applicable.map((v) => `${tag} "${v}"`).join(', ')
  return { allowed: false, reason: list, allows }
}

/** `letsencrypt.org; validationmethods=dns-01` → `letsencrypt.org`; `;` → `` (RFC 8659 §4.2). */
export function issuerDomain(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase()
}

function tagKey(record: CaaRecord): string {
  return Object.keys(record).find((k) => k !== 'critical') ?? ''
}

function tagOf(record: CaaRecord): string {
  return tagKey(record).toLowerCase()
}
