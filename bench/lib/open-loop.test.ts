import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { openLoop } from './open-loop.js'

async function server(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; s: Server }> {
  const s = createServer(handler)
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`, s }
}

test('starts requests on schedule and reports latency percentiles', async () => {
  let count = 0
  const { url, s } = await server((_req, res) => {
    count++
    res.end('ok')
  })
  try {
    const r = await openLoop({ url, rate: 200, durationMs: 1000 })
    assert.equal(r.sent, 200)
    assert.equal(count, 200)
    assert.equal(r.ok, 200)
    assert.equal(r.errors, 0)
    assert.ok(r.rate > 150 && r.rate < 250, `rate ${r.rate}`)
    assert.ok(r.p50Ms > 0 && r.p50Ms <= r.p99Ms && r.p99Ms <= r.maxMs)
  } finally {
    s.close()
  }
})

test('open loop: a stalled server does not slow the schedule, and its delay shows in p99', async () => {
  let n = 0
  const { url, s } = await server((_req, res) => {
    // One request in 10 takes 200 ms: a closed-loop client would send fewer requests meanwhile.
    const delay = n++ % 10 === 5 ? 200 : 0
    setTimeout(() => res.end('ok'), delay)
  })
  try {
    const r = await openLoop({ url, rate: 100, durationMs: 1000 })
    assert.equal(r.sent, 100)
    assert.equal(n, 100)
    assert.ok(r.p99Ms >= 190, `p99 ${r.p99Ms} should show the 200 ms stalls`)
    assert.ok(r.p50Ms < 100, `p50 ${r.p50Ms}`)
  } finally {
    s.close()
  }
})

test('warm-up requests are sent but not recorded; error statuses are counted', async () => {
  let n = 0
  const { url, s } = await server((_req, res) => {
    res.statusCode = n++ % 2 === 0 ? 200 : 503
    res.end()
  })
  try {
    const r = await openLoop({ url, rate: 100, durationMs: 1000, warmupMs: 500 })
    assert.equal(n, 100)
    assert.equal(r.errors, 50)
    assert.ok(r.ok >= 20 && r.ok <= 30, `recorded ${r.ok} of the 50 that started after the warm-up`)
  } finally {
    s.close()
  }
})

test('a refused connection is an error, never a latency', async () => {
  const { url, s } = await server((_req, res) => res.end())
  await new Promise((resolve) => s.close(resolve))
  const r = await openLoop({ url, rate: 50, durationMs: 200 })
  assert.equal(r.ok, 0)
  assert.equal(r.errors, 10)
  assert.ok(Number.isNaN(r.p99Ms))
})
