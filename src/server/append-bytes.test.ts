import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendBytes, type Gathered } from './append-bytes.js'

test('a head arriving a byte per packet is gathered with a handful of stores, not one per packet', () => {
  const head = Buffer.from(`GET / HTTP/1.1\r\n${'X-Pad: 0123456789abcdef\r\n'.repeat(1000)}\r\n`)
  let g: Gathered = { bytes: Buffer.alloc(0), store: undefined }
  const stores = new Set<ArrayBufferLike>()
  for (let i = 0; i < head.length; i++) {
    g = appendBytes(g, head.subarray(i, i + 1))
    if (g.store) stores.add(g.store.buffer)
  }
  assert.ok(g.bytes.equals(head))
  // Doubling from 4 KiB to hold ~25 KB: 4 stores. One per packet would be 25,000.
  assert.ok(stores.size <= 5, `${stores.size} stores for ${head.length} bytes`)
})

test('a packet as received is kept as it is; what follows it is copied out, never written into it', () => {
  const first = Buffer.from('GET / HT')
  const g1 = appendBytes({ bytes: Buffer.alloc(0), store: undefined }, first)
  assert.equal(g1.bytes, first, 'the first packet itself, no copy')
  assert.equal(g1.store, undefined)
  const g2 = appendBytes(g1, Buffer.from('TP/1.1\r\n'))
  assert.equal(g2.bytes.toString(), 'GET / HTTP/1.1\r\n')
  assert.equal(first.toString(), 'GET / HT', 'the received packet is left untouched')
})

test('the rest of a store after a consumed head is never written over by a later append', () => {
  let g: Gathered = { bytes: Buffer.from('ab'), store: undefined }
  g = appendBytes(g, Buffer.from('cd'))
  // The connection consumed "ab" and handed "cd" on (a body chunk delivered to a reader): it keeps
  // the rest as a view of the same store, then appends again.
  const delivered = g.bytes.subarray(2)
  const rest: Gathered = { bytes: g.bytes.subarray(2), store: g.store }
  const next = appendBytes(rest, Buffer.from('ef'))
  assert.equal(next.bytes.toString(), 'cdef')
  assert.equal(delivered.toString(), 'cd')
  assert.notEqual(
    next.store?.buffer,
    g.store?.buffer,
    'a view not at the store’s start gets a new store',
  )
  // A store's own start, with room: the next packet is written in place.
  const grown = appendBytes(next, Buffer.from('gh'))
  assert.equal(grown.bytes.toString(), 'cdefgh')
  assert.equal(grown.store, next.store)
})
