/**
 * Packets gathered into one Buffer for the HTTP/1.1 server, without a quadratic cost: a head sent a
 * byte per packet (a slow-loris client, or a bad network) would otherwise be copied whole at every
 * packet, ~300 MB of copying for the 25 KB a head may reach.
 */

/** Bytes gathered so far, and the storage they live at the start of (with room to grow). */
export interface Gathered {
  /** What has arrived and is not consumed yet. */
  readonly bytes: Buffer
  /**
   * Storage `bytes` is the start of, with spare room after it; undefined when `bytes` is not ours
   * to write after (a packet as received, or the rest of one).
   */
  readonly store: Buffer | undefined
}

/** Smallest storage allocated to gather into. */
const MIN_STORE = 4096

/**
 * `g.bytes` followed by `chunk`. When `g.bytes` is the start of its store and the store has room,
 * `chunk` is copied into it; else both go to a new store twice their size, so that every byte is
 * copied a bounded number of times in all. The caller never hands out a view of the store and then
 * appends again to the same store: after a head is read, what follows it is kept with `store`
 * undefined, so a body already delivered from it can never be overwritten.
 */
export function appendBytes(g: Gathered, chunk: Buffer): Gathered {
  const have = g.bytes.length
  if (have === 0) return { bytes: chunk, store: undefined }
  const need = have + chunk.length
  let store = g.store
  const atStart =
    store !== undefined &&
    g.bytes.buffer === store.buffer &&
    g.bytes.byteOffset === store.byteOffset
  if (store === undefined || !atStart || need > store.length) {
    store = Buffer.allocUnsafe(Math.max(2 * need, MIN_STORE))
    g.bytes.copy(store, 0)
  }
  chunk.copy(store, have)
  return { bytes: store.subarray(0, need), store }
}
