/**
 * The selection policies of an upstream group, as pure functions over the upstreams that may take a
 * request (healthy, not already tried). Each returns undefined only for an empty list.
 */

/** What the load-aware policies look at. */
export interface Loaded {
  /** Requests in flight. */
  readonly active: number
}

/** Round robin: the candidate at position `turn` (a counter the caller increments per pick). */
export function pickRoundRobin<T>(candidates: readonly T[], turn: number): T | undefined {
  return candidates[turn % candidates.length]
}

/**
 * Least connections: the candidate with the fewest requests in flight. Ties are broken by rotating
 * from `turn`, so equally idle upstreams share the load instead of the first taking it all.
 */
export function pickLeastConn<T extends Loaded>(
  candidates: readonly T[],
  turn: number,
): T | undefined {
  const n = candidates.length
  let best: T | undefined
  for (let i = 0; i < n; i++) {
    const candidate = candidates[(turn + i) % n] as T
    if (best === undefined || candidate.active < best.active) best = candidate
  }
  return best
}

/**
 * The power of two choices (Mitzenmacher): two distinct candidates drawn at random, the less busy
 * one taken. Nearly as even as least connections, without every proxy worker herding onto the same
 * idle upstream. `random` returns a number in [0, 1), like `Math.random`.
 */
export function pickRandomTwo<T extends Loaded>(
  candidates: readonly T[],
  random: () => number,
): T | undefined {
  const n = candidates.length
  if (n <= 1) return candidates[0]
  const i = Math.floor(random() * n)
  let j = Math.floor(random() * (n - 1))
  if (j >= i) j++
  const a = candidates[i] as T
  const b = candidates[j] as T
  return b.active < a.active ? b : a
}

/**
 * Rendezvous (highest random weight) hashing: each candidate scores hash(key, candidate), the highest
 * wins. A key keeps its upstream as long as that upstream is a candidate; when one leaves, only the
 * keys it held move, spread over the others (unlike `hash % n`, which moves nearly all of them).
 */
export function pickRendezvous<T>(
  candidates: readonly T[],
  keyHash: number,
  idHashOf: (candidate: T) => number,
): T | undefined {
  let best: T | undefined
  let bestScore = -1
  for (const candidate of candidates) {
    const score = mix32(keyHash ^ idHashOf(candidate))
    if (score > bestScore) {
      best = candidate
      bestScore = score
    }
  }
  return best
}

/** 32-bit FNV-1a of a string's UTF-16 code units: cheap, stable across processes and restarts. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * A 32-bit finaliser (the avalanche step of MurmurHash3): every input bit flips about half the output
 * bits, so scores of similar keys (consecutive IPs) are unrelated. Returns an unsigned integer.
 */
export function mix32(value: number): number {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
