import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { RequestBuffer } from './request-buffer.js'

const HEAD = 'GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n'

test('a head in parts is read once its end arrives; the bytes after it stay for the next request', () => {
  const input = new RequestBuffer()
  input.gather(Buffer.from(HEAD.slice(0, 10)))
  assert.equal(input.readHead(8192, false), undefined)
  input.gather(Buffer.from(`${HEAD.slice(10)}GET /b`))
  const head = input.readHead(8192, true)
  assert.ok(head && !('status' in head), 'a head, not a refusal')
  assert.equal(head.target, '/a')
  input.dropHead(head.size)
  assert.equal(input.take().toString(), 'GET /b')
  assert.equal(input.length, 0)
})

test('a head over the bound is refused, and the bytes are left where they were', () => {
  const input = new RequestBuffer()
  input.gather(Buffer.from(`GET / HTTP/1.1\r\nX-Pad: ${'a'.repeat(200)}\r\n\r\n`))
  const refused = input.readHead(64, false)
  assert.ok(refused && 'status' in refused, 'a refusal')
  assert.equal(refused.status, 431)
  assert.ok(input.length > 64)
})

test("a head read whole took no time; one in parts is timed from its first packet's read", async () => {
  const whole = new RequestBuffer()
  whole.gather(Buffer.from(HEAD))
  assert.ok(whole.readHead(8192, false))
  assert.equal(whole.headMs(), 0)

  const parted = new RequestBuffer()
  parted.gather(Buffer.from(HEAD.slice(0, 5)))
  assert.equal(parted.readHead(8192, false), undefined)
  await sleep(30)
  parted.gather(Buffer.from(HEAD.slice(5)))
  assert.ok(parted.readHead(8192, true))
  assert.ok(parted.headMs() >= 25, `${parted.headMs()} ms`)
  // A new head (not continuing the last) starts its clock again: read whole, no time.
  parted.dropHead(HEAD.length)
  parted.gather(Buffer.from(HEAD))
  assert.ok(parted.readHead(8192, false))
  assert.equal(parted.headMs(), 0)
})

test('a head that was all the bytes leaves none; what take() returned can be put back', () => {
  const input = new RequestBuffer()
  input.gather(Buffer.from(HEAD))
  const head = input.readHead(8192, false)
  assert.ok(head && !('status' in head))
  input.dropHead(head.size)
  assert.equal(input.length, 0)
  input.gather(Buffer.from('rest'))
  const taken = input.take()
  assert.equal(input.length, 0)
  input.putBack(taken)
  assert.equal(input.take().toString(), 'rest')
})
