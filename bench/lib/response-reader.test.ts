import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ResponseReader } from './response-reader.js'

/** Feeds `text` cut at `cuts`; returns what each push answered. */
function feed(r: ResponseReader, text: string, cuts: number[] = []): (number | undefined)[] {
  const bounds = [0, ...cuts, text.length]
  const out: (number | undefined)[] = []
  for (let i = 0; i + 1 < bounds.length; i++)
    out.push(r.push(Buffer.from(text.slice(bounds[i], bounds[i + 1]), 'latin1')))
  return out
}

test('Content-Length: complete only when the last body byte arrives, across reads', () => {
  const r = new ResponseReader()
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
  assert.deepEqual(feed(r, res, [10, 30, 40]), [undefined, undefined, undefined, 200])
  assert.equal(r.closeAfter, false)
  r.reset()
  assert.deepEqual(
    feed(r, 'HTTP/1.1 503 x\r\ncontent-length: 0\r\nConnection: close\r\n\r\n'),
    [503],
  )
  assert.equal(r.closeAfter, true)
})

test('chunked: the last chunk is found across reads, not before', () => {
  const r = new ResponseReader()
  const res = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'
  const cuts = [res.length - 6, res.length - 2]
  assert.deepEqual(feed(r, res, cuts), [undefined, undefined, 200])
  r.reset()
  assert.deepEqual(feed(r, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'), [200])
})

test('bodiless statuses end with the head; unreadable answers are -1', () => {
  const r = new ResponseReader()
  assert.deepEqual(feed(r, 'HTTP/1.1 204 No Content\r\n\r\n'), [204])
  r.reset()
  assert.deepEqual(feed(r, 'SSH-2.0-x\r\n\r\n'), [-1])
  r.reset()
  // Neither length nor chunked: the body would run to the close, which the bench never expects.
  assert.deepEqual(feed(r, 'HTTP/1.1 200 OK\r\n\r\nabc'), [-1])
  r.reset()
  assert.deepEqual(feed(r, 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab'), [-1])
})
