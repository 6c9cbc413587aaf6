/**
 * A string-keyed hash table for the SNI index, built for the one thing `Map` does poorly there: a
 * lookup by a SUFFIX of the name a client sent (`api.example.com` → `example.com` for the wildcard
 * `*.example.com`) without allocating that suffix, and a cheap miss.
 *
 * Why not `Map`: at 100k names every probe is a cache miss, and a `Map` miss walks a bucket chain,
 * dereferencing each candidate key to compare it; the wildcard path paid that miss, then a `slice`
 * and a hash of the new string, then a hit (1.9 µs measured at 100k names, BENCHMARKS.md). Here
 * each slot holds [hash, key, value] side by side in one array (open addressing, linear probing,
 * load factor at most 1/2), so a miss reads one cache line and compares small integers, and a key
 * is only dereferenced when its 30-bit hash matches.
 *
 * Hashes are computed right to left, so one pass over a name yields both its own hash and the hash
 * of everything after any dot: {@link nameHashStep} over the characters from the end, and
 * {@link finishNameHash} on the running value at the point of interest.
 */

/** Fields per slot in the backing array: hash, key, value. */
const STRIDE = 3
const MIN_CAPACITY = 16

/** One character into a running right-to-left hash (start from 0 at the string's end). */
export function nameHashStep(h: number, code: number): number {
  return (Math.imul(h, 31) + code) | 0
}

/**
 * The slot hash of a running value: mixed (MurmurHash3's finaliser) so that similar names
 * (`host1`, `host2`) spread over the table, then cut to a positive small integer (V8 stores it
 * unboxed), never 0 (0 marks an empty slot).
 */
export function finishNameHash(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  // Not `| 1`: that would make every home slot odd, halving the table and lengthening every probe.
  return h & 0x3fffffff || 1
}

/** The slot hash of `s` (as a right-to-left pass over the whole string gives it). */
export function nameHash(s: string): number {
  let h = 0
  for (let i = s.length - 1; i >= 0; i--) h = nameHashStep(h, s.charCodeAt(i))
  return finishNameHash(h)
}

/** Filter bits per slot of capacity: 4 keep a 100k-name table's filter at 128 KiB, inside L2. */
const FILTER_BITS_PER_SLOT = 4

export class NameTable<V> {
  /** [hash, key, value] per slot; hash 0 = empty. Mixed on purpose: one cache line per probe. */
  #slots: unknown[]
  #mask: number
  #size = 0
  /**
   * One bit per hash bucket, set for every key stored: a miss (the exact probe of every wildcard
   * lookup, most lookups of an empty-ish table) is answered from this small array, which stays in
   * the CPU cache, instead of a probe into the slots (megabytes at 100k names, a DRAM access each).
   * Deletes leave bits set; the filter is rebuilt once they add up.
   */
  #filter: Int32Array
  #filterShift: number
  #staleBits = 0

  constructor() {
    this.#slots = new Array<unknown>(MIN_CAPACITY * STRIDE).fill(0)
    this.#mask = MIN_CAPACITY - 1
    this.#filter = new Int32Array(1)
    this.#filterShift = 0
    this.#rebuildFilter()
  }

  get size(): number {
    return this.#size
  }

  get(key: string): V | undefined {
    return this.getHashed(key, nameHash(key))
  }

  /** The value for `key`, whose {@link nameHash} the caller already has. */
  getHashed(key: string, hash: number): V | undefined {
    if (!this.#mayHave(hash)) return undefined
    const slots = this.#slots
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = i * STRIDE
      const h = slots[at]
      if (h === 0) return undefined
      if (h === hash && slots[at + 1] === key) return slots[at + 2] as V
    }
  }

  /**
   * The value for the key `name.slice(start)`, without building that string: `hash` is its
   * {@link finishNameHash} from a right-to-left pass stopped at `start`.
   */
  getSuffix(name: string, start: number, hash: number): V | undefined {
    if (!this.#mayHave(hash)) return undefined
    const slots = this.#slots
    const length = name.length - start
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = i * STRIDE
      const h = slots[at]
      if (h === 0) return undefined
      if (h === hash) {
        const key = slots[at + 1] as string
        if (key.length === length && name.endsWith(key)) return slots[at + 2] as V
      }
    }
  }

  set(key: string, value: V): void {
    this.#put(key, value, true)
  }

  /** Sets `key` unless it is present already (one probe instead of a get and a set). */
  setIfAbsent(key: string, value: V): void {
    this.#put(key, value, false)
  }

  #put(key: string, value: V, replace: boolean): void {
    const hash = nameHash(key)
    const slots = this.#slots
    let i = hash & this.#mask
    for (; slots[i * STRIDE] !== 0; i = (i + 1) & this.#mask) {
      if (slots[i * STRIDE] === hash && slots[i * STRIDE + 1] === key) {
        if (replace) slots[i * STRIDE + 2] = value
        return
      }
    }
    slots[i * STRIDE] = hash
    slots[i * STRIDE + 1] = key
    slots[i * STRIDE + 2] = value
    this.#mark(hash)
    if (++this.#size * 2 > this.#mask + 1) this.#grow()
  }

  delete(key: string): boolean {
    const hash = nameHash(key)
    const slots = this.#slots
    for (let i = hash & this.#mask; slots[i * STRIDE] !== 0; i = (i + 1) & this.#mask) {
      if (slots[i * STRIDE] === hash && slots[i * STRIDE + 1] === key) {
        this.#removeAt(i)
        this.#size--
        if (++this.#staleBits > (this.#mask + 1) / 4) this.#rebuildFilter()
        return true
      }
    }
    return false
  }

  /**
   * Backward-shift deletion (no tombstones, so lookups never slow down with churn): moves later
   * members of the probe run into the hole when their home slot is at or before it.
   */
  #removeAt(hole: number): void {
    const slots = this.#slots
    const mask = this.#mask
    for (let i = (hole + 1) & mask; slots[i * STRIDE] !== 0; i = (i + 1) & mask) {
      const home = (slots[i * STRIDE] as number) & mask
      // Whether `home` lies cyclically in (hole, i]: if so the entry must stay where it is.
      const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i
      if (stays) continue
      for (let f = 0; f < STRIDE; f++) slots[hole * STRIDE + f] = slots[i * STRIDE + f]
      hole = i
    }
    slots[hole * STRIDE] = 0
    slots[hole * STRIDE + 1] = 0
    slots[hole * STRIDE + 2] = 0
  }

  #grow(): void {
    const old = this.#slots
    const capacity = (this.#mask + 1) * 2
    this.#slots = new Array<unknown>(capacity * STRIDE).fill(0)
    this.#mask = capacity - 1
    for (let at = 0; at < old.length; at += STRIDE) {
      const hash = old[at] as number
      if (hash === 0) continue
      let i = hash & this.#mask
      while (this.#slots[i * STRIDE] !== 0) i = (i + 1) & this.#mask
      this.#slots[i * STRIDE] = hash
      this.#slots[i * STRIDE + 1] = old[at + 1]
      this.#slots[i * STRIDE + 2] = old[at + 2]
    }
    this.#rebuildFilter()
  }

  /** The filter bit of `hash`: Fibonacci hashing takes the product's top bits. */
  #bit(hash: number): number {
    return Math.imul(hash, 0x9e3779b1) >>> this.#filterShift
  }

  #mayHave(hash: number): boolean {
    const bit = this.#bit(hash)
    return ((this.#filter[bit >>> 5] as number) & (1 << (bit & 31))) !== 0
  }

  #mark(hash: number): void {
    const bit = this.#bit(hash)
    this.#filter[bit >>> 5] = (this.#filter[bit >>> 5] as number) | (1 << (bit & 31))
  }

  /** Sizes the filter to the capacity and sets the bits of the keys present. */
  #rebuildFilter(): void {
    const bits = (this.#mask + 1) * FILTER_BITS_PER_SLOT
    this.#filterShift = 32 - Math.log2(bits)
    this.#filter = new Int32Array(bits >>> 5)
    this.#staleBits = 0
    const slots = this.#slots
    for (let at = 0; at < slots.length; at += STRIDE) {
      const hash = slots[at] as number
      if (hash !== 0) this.#mark(hash)
    }
  }
}
