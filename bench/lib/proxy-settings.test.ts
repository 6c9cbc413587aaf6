import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PROXY_CONTENDERS } from './proxy-contenders.js'
import { proxySettings } from './proxy-settings.js'

test('defaults: 3 runs of 10 s, every row and phase, 10,000 WebSockets for Gatehouse and nginx', () => {
  const s = proxySettings([], '1')
  assert.equal(s.runs, 3)
  assert.deepEqual(s.load, {
    cpu: '1',
    durationS: 10,
    h1Connections: 50,
    h2Connections: 10,
    h2Streams: 10,
  })
  assert.deepEqual(s.latency, { rate: 1000, durationMs: 10_000, warmupMs: 500 })
  assert.deepEqual(s.ws, { count: 10_000, holdMs: 10_000, rows: ['gatehouse', 'nginx'] })
  assert.deepEqual(s.phases, ['h1', 'h2', 'latency', 'ws'])
  // The worker rows (WebSocket phase only) run when asked for by name.
  assert.deepEqual(
    s.contenders.map((c) => c.key),
    PROXY_CONTENDERS.filter((c) => !c.key.endsWith('-2w')).map((c) => c.key),
  )
  assert.deepEqual(
    proxySettings(
      ['--only', 'gatehouse-2w,nginx-2w', '--ws-rows', 'gatehouse-2w'],
      '1',
    ).contenders.map((c) => c.processes),
    [2, 2],
  )
})

test('--quick: one short run per row, a few hundred WebSockets; explicit values still win', () => {
  const s = proxySettings(['--quick', '--duration', '3'], '1')
  assert.equal(s.runs, 1)
  assert.equal(s.load.durationS, 3)
  assert.equal(s.warmupS, 3)
  assert.equal(s.latency.durationMs, 2000)
  assert.deepEqual([s.ws.count, s.ws.holdMs], [200, 1000])
})

test('--only selects rows in the table order; --phases selects phases', () => {
  const s = proxySettings(
    ['--only', 'nginx,gatehouse', '--phases', 'h1', '--ws-rows', 'nginx'],
    '1',
  )
  assert.deepEqual(
    s.contenders.map((c) => c.key),
    ['gatehouse', 'nginx'],
  )
  assert.deepEqual(s.phases, ['h1'])
})

test('bad options are RangeErrors naming the option and what to use', () => {
  assert.throws(() => proxySettings(['--runs', '2'], '1'), {
    name: 'RangeError',
    message: /--runs 2 must be a number >= 3/,
  })
  assert.throws(() => proxySettings(['--only', 'ngnix'], '1'), {
    name: 'RangeError',
    message: /--only ngnix unknown; use gatehouse,/,
  })
  assert.throws(() => proxySettings(['--phases', 'h3'], '1'), {
    name: 'RangeError',
    message: /--phases h3 unknown; use h1,h2,latency,ws/,
  })
  assert.throws(() => proxySettings(['--only', 'caddy', '--ws-rows', 'nginx'], '1'), {
    name: 'RangeError',
    message: /--ws-rows nginx not among --only caddy/,
  })
  assert.deepEqual(proxySettings(['--only', 'caddy,nginx'], '1').ws.rows, ['nginx'])
  assert.throws(() => proxySettings(['--duration', 'x'], '1'), {
    name: 'RangeError',
    message: /--duration x/,
  })
})
