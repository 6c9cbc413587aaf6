import { parseIdentifier } from '../issuance/identifiers.js'

/**
 * The allow-list of on-demand issuance, compiled once. Entries:
 * - `shop.example.com`, `192.0.2.1`: that name or address exactly;
 * - `*.example.com`: exactly one label left of `example.com` (`a.example.com`, not `a.b.example.com`
 *   nor `example.com`), as a certificate wildcard matches (RFC 6125 §6.4.3);
 * - `**.example.com`: one or more labels left of `example.com` (any depth, still not the apex: list
 *   `example.com` as well to allow it).
 * A pattern may not cover a whole top-level domain (`*.com` is refused): a typo there would let
 * anyone on the internet make the server order certificates.
 *
 * Matching costs one Set lookup per label of the name; names are expected in canonical form
 * (lower case, A-labels), as {@link parseIdentifier} returns them.
 */
export class NamePatterns {
  readonly #exact = new Set<string>()
  readonly #oneLabel = new Set<string>()
  readonly #anyDepth = new Set<string>()

  /** Throws a TypeError naming the first bad pattern. */
  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) this.#add(pattern)
  }

  /** Whether `name` (canonical) is allowed. */
  matches(name: string): boolean {
    if (this.#exact.has(name)) return true
    const dot = name.indexOf('.')
    if (dot <= 0) return false
    if (this.#oneLabel.has(name.slice(dot + 1))) return true
    if (this.#anyDepth.size === 0) return false
    for (let i = dot; i !== -1; i = name.indexOf('.', i + 1)) {
      if (this.#anyDepth.has(name.slice(i + 1))) return true
    }
    return false
  }

  #add(pattern: string): void {
    if (typeof pattern !== 'string') {
      throw new TypeError(`onDemand.allow entry ${String(pattern)} must be a string`)
    }
    const anyDepth = pattern.startsWith('**.')
    const oneLabel = !anyDepth && pattern.startsWith('*.')
    const rest = anyDepth ? pattern.slice(3) : oneLabel ? pattern.slice(2) : pattern
    const value = canonical(rest, anyDepth || oneLabel)
    if (value === undefined) {
      throw new TypeError(
        `onDemand.allow entry ${JSON.stringify(pattern)} is not a name, an IP address, *.<domain> (one label) or **.<domain> (any depth); <domain> needs at least two labels`,
      )
    }
    const set = anyDepth ? this.#anyDepth : oneLabel ? this.#oneLabel : this.#exact
    set.add(value)
  }
}

/** The canonical name of a pattern's fixed part; undefined when it is not a plain name (or an IP where a suffix is needed). */
function canonical(rest: string, suffix: boolean): string | undefined {
  try {
    const id = parseIdentifier(rest)
    if (id.value.startsWith('*.') || (suffix && id.type === 'ip')) return undefined
    return id.value
  } catch {
    return undefined
  }
}
