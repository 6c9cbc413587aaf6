import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_RESPONSE_HEAD_BYTES } from './http-head.js'
import { bodyBytes, UpgradeAnswer, type AnswerStep } from './upgrade-answer.js'

const SWITCH =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'

function feedAll(answer: UpgradeAnswer, parts: string[]): AnswerStep[] {
  return parts.map((p) => answer.feed(Buffer.from(p, 'latin1')))
}

test('a 101 split across reads: partial until the head is whole, then the bytes after it', () => {
  const steps = feedAll(new UpgradeAnswer('GET'), [
    SWITCH.slice(0, 20),
    `${SWITCH.slice(20)}\x81\x02hi`,
  ])
  assert.equal(steps[0]?.kind, 'partial')
  const last = steps[1]
  assert.equal(last?.kind, 'switch')
  if (last?.kind !== 'switch') return
  assert.equal(last.head.status, 101)
  assert.deepEqual([...last.rest], [0x81, 0x02, 0x68, 0x69])
})

test('interim answers are skipped, in the same read or the next', () => {
  const same = new UpgradeAnswer('GET').feed(Buffer.from(`HTTP/1.1 100 Continue\r\n\r\n${SWITCH}`))
  assert.equal(same.kind, 'switch')
  const answer = new UpgradeAnswer('GET')
  assert.equal(
    answer.feed(Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n')).kind,
    'partial',
  )
  assert.equal(answer.feed(Buffer.from(SWITCH)).kind, 'switch')
})

test('a final answer comes with a tracker of its body; HEAD has none', () => {
  const wire = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnopeNEXT'
  const step = new UpgradeAnswer('GET').feed(Buffer.from(wire))
  assert.equal(step.kind, 'final')
  if (step.kind !== 'final') return
  assert.equal(step.head.status, 403)
  assert.equal(bodyBytes(step.body, step.rest, false).toString(), 'nope')
  assert.equal(step.body.done, true)
  const head = new UpgradeAnswer('HEAD').feed(Buffer.from(wire))
  assert.equal(head.kind === 'final' && head.body.done, true)
})

test('bodyBytes: as framed for HTTP/1.1, the content alone for HTTP/2', () => {
  const wire = 'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n'
  const body = Buffer.from('3\r\nabc\r\n0\r\n\r\n')
  const framed = new UpgradeAnswer('GET').feed(Buffer.from(wire))
  const plain = new UpgradeAnswer('GET').feed(Buffer.from(wire))
  assert.ok(framed.kind === 'final' && plain.kind === 'final')
  assert.equal(bodyBytes(framed.body, body, false).toString(), body.toString())
  assert.equal(bodyBytes(plain.body, body, true).toString(), 'abc')
})

test('malformed: a head over the limit, a bad status line, a bad Content-Length', () => {
  const huge = new UpgradeAnswer('GET').feed(Buffer.alloc(MAX_RESPONSE_HEAD_BYTES + 1, 0x61))
  assert.deepEqual(huge, {
    kind: 'malformed',
    message: `sent a response head over ${MAX_RESPONSE_HEAD_BYTES} bytes`,
  })
  const bad = new UpgradeAnswer('GET').feed(Buffer.from('HTTP/2 101\r\n\r\n'))
  assert.equal(bad.kind, 'malformed')
  assert.match(bad.kind === 'malformed' ? bad.message : '', /^sent a malformed response: /)
  const length = new UpgradeAnswer('GET').feed(
    Buffer.from('HTTP/1.1 400 Bad\r\nContent-Length: 1, 2\r\n\r\n'),
  )
  assert.equal(length.kind, 'malformed')
})
