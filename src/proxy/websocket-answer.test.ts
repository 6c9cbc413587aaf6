import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileHeaderOps, NO_HEADER_OPS } from './forward-headers.js'
import type { ResponseHead } from './http-head.js'
import { withHeaderOps } from './websocket-answer.js'

const SWITCH: ResponseHead = {
  status: 101,
  reason: 'Switching Protocols',
  fields: [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ['Sec-WebSocket-Protocol', 'chat'],
    ['Server', 'upstream/1.0'],
  ],
}

test('no rules: the head itself', () => {
  assert.equal(withHeaderOps(SWITCH, NO_HEADER_OPS), SWITCH)
})

test('set and remove apply to content fields; handshake fields are neither removed nor set', () => {
  const ops = compileHeaderOps({
    set: { 'x-tunnel': 'yes', 'sec-websocket-protocol': 'other', upgrade: 'h2c' },
    remove: ['server', 'sec-websocket-accept', 'connection', 'sec-websocket-extensions'],
  })
  assert.deepEqual(withHeaderOps(SWITCH, ops).fields, [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ['Sec-WebSocket-Protocol', 'chat'],
    ['x-tunnel', 'yes'],
  ])
  assert.equal(SWITCH.fields.length, 5, 'the upstream head is left as it was')
})

test('a relayed answer keeps its framing fields; a set replaces the upstream value', () => {
  const refusal: ResponseHead = {
    status: 403,
    reason: 'Forbidden',
    fields: [
      ['Content-Length', '9'],
      ['X-Reason', 'upstream'],
      ['Cache-Control', 'no-store'],
    ],
  }
  const ops = compileHeaderOps({
    set: { 'x-reason': 'proxy', 'transfer-encoding': 'chunked' },
    remove: ['content-length', 'cache-control'],
  })
  const out = withHeaderOps(refusal, ops)
  assert.equal(out.status, 403)
  assert.deepEqual(out.fields, [
    ['Content-Length', '9'],
    ['x-reason', 'proxy'],
  ])
})

test("a sticky Set-Cookie goes after the upstream fields and before the rules' own, with or without rules", () => {
  const pin = 'gatehouse_upstream=abc; Path=/; HttpOnly; SameSite=Lax'
  const alone = withHeaderOps(SWITCH, NO_HEADER_OPS, pin)
  assert.deepEqual(alone.fields, [...SWITCH.fields, ['set-cookie', pin]])
  const ops = compileHeaderOps({ set: { 'set-cookie': 'theme=dark' }, remove: ['server'] })
  assert.deepEqual(withHeaderOps(SWITCH, ops, pin).fields.slice(-3), [
    ['Sec-WebSocket-Protocol', 'chat'],
    ['set-cookie', pin],
    ['set-cookie', 'theme=dark'],
  ])
  assert.equal(SWITCH.fields.length, 5, 'the upstream head is left as it was')
})
