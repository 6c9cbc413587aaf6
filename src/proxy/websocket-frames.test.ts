import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeFrame, FrameBoundaries, GOING_AWAY } from './websocket-frames.js'

/** A frame as RFC 6455 §5.2 lays it out (the payload is not masked here: the tracker never reads it). */
function frame(opcode: number, length: number, masked: boolean, fin = true): Buffer {
  const first = (fin ? 0x80 : 0) | opcode
  const mask = masked ? 0x80 : 0
  let head: Buffer
  if (length < 126) head = Buffer.from([first, mask | length])
  else if (length < 65536) {
    head = Buffer.from([first, mask | 126, 0, 0])
    head.writeUInt16BE(length, 2)
  } else {
    head = Buffer.alloc(10)
    head[0] = first
    head[1] = mask | 127
    head.writeBigUInt64BE(BigInt(length), 2)
  }
  return Buffer.concat([
    head,
    masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0),
    Buffer.alloc(length, 0x61),
  ])
}

const FRAMES = [
  frame(0x1, 5, false),
  frame(0x2, 0, true),
  frame(0x1, 125, true, false), // a fragment...
  frame(0x9, 0, false), // ...a ping between fragments (§5.4)...
  frame(0x0, 126, false), // ...and the last fragment
  frame(0x2, 300, true),
  frame(0x2, 70_000, false),
  frame(0x2, 65_535, true),
]
const STREAM = Buffer.concat(FRAMES)
const ENDS = FRAMES.reduce<number[]>((ends, f) => [...ends, (ends.at(-1) ?? 0) + f.length], [])

test('FrameBoundaries: at a boundary exactly after each whole frame, whatever the chunking', () => {
  for (const size of [1, 2, 3, 7, 13, 1000, STREAM.length]) {
    const tracker = new FrameBoundaries()
    for (let at = 0; at < STREAM.length; at += size) {
      const end = Math.min(at + size, STREAM.length)
      assert.equal(tracker.feed(STREAM.subarray(at, end)), end - at)
      assert.equal(tracker.atBoundary, ENDS.includes(end), `chunks of ${size}, after ${end} bytes`)
    }
  }
})

test('FrameBoundaries: from any point, untilBoundary reads up to the next frame end only', () => {
  // Every 37th offset, and every offset of the short frames' headers.
  const offsets = new Set<number>()
  for (let p = 1; p < STREAM.length; p += 37) offsets.add(p)
  for (let p = 1; p < 700; p++) offsets.add(p)
  for (const p of offsets) {
    const tracker = new FrameBoundaries()
    tracker.feed(STREAM.subarray(0, p))
    const next = ENDS.find((e) => e >= p) as number
    const read = tracker.feed(STREAM.subarray(p), true)
    assert.equal(p + read, next, `from ${p}`)
    assert.equal(tracker.atBoundary, true)
  }
})

test('FrameBoundaries: untilBoundary stops at the end of the frame in progress', () => {
  const tracker = new FrameBoundaries()
  const two = Buffer.concat([frame(0x1, 10, true), frame(0x1, 3, false)])
  assert.equal(tracker.feed(two.subarray(0, 4)), 4)
  assert.equal(tracker.atBoundary, false)
  // The rest of the first frame is 2 + 4 + 10 - 4 = 12 bytes; the second frame is not read.
  assert.equal(tracker.feed(two.subarray(4), true), 12)
  assert.equal(tracker.atBoundary, true)
  assert.equal(tracker.feed(two.subarray(16), true), 0, 'already at a boundary')
  assert.equal(tracker.feed(two.subarray(16)), 5)
  assert.equal(tracker.atBoundary, true)
})

test('closeFrame: 1001 with its reason, unmasked to clients, masked to servers', () => {
  const plain = closeFrame(GOING_AWAY, 'going away', false)
  assert.deepEqual([...plain.subarray(0, 2)], [0x88, 12])
  assert.equal(plain.readUInt16BE(2), 1001)
  assert.equal(plain.subarray(4).toString(), 'going away')
  const masked = closeFrame(GOING_AWAY, 'going away', true)
  assert.deepEqual([...masked.subarray(0, 2)], [0x88, 0x80 | 12])
  const key = masked.subarray(2, 6)
  const payload = Buffer.from(masked.subarray(6).map((b, i) => b ^ (key[i % 4] as number)))
  assert.equal(payload.readUInt16BE(0), 1001)
  assert.equal(payload.subarray(2).toString(), 'going away')
  const tracker = new FrameBoundaries()
  tracker.feed(masked.subarray(0, 1))
  assert.equal(tracker.feed(masked.subarray(1), true), masked.length - 1, 'one whole frame')
  assert.throws(() => closeFrame(GOING_AWAY, 'x'.repeat(124), false), RangeError)
})
