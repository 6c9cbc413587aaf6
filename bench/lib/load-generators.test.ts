import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseH2load, parseWrk, parseWrkDuration } from './load-generators.js'

// Captured from wrk 4.1.0 (Debian) against Caddy through the bench's proxy set-up.
const WRK_OK = `Running 1s test @ https://localhost:28002/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.32ms    7.04ms  65.19ms   88.34%
    Req/Sec     2.80k     1.02k    4.09k    60.00%
  Latency Distribution
     50%    2.54ms
     75%    6.10ms
     90%   13.86ms
     99%   33.69ms
  2878 requests in 1.02s, 548.06KB read
Requests/sec:   2829.53
Transfer/sec:    538.83KB
`

const WRK_ERRORS = `Running 2s test @ https://localhost:1/
  1 threads and 50 connections
  Latency Distribution
     50%  850.00us
     75%    1.10ms
     90%    1.50ms
     99%    1.02s
  1000 requests in 2.00s, 100.00KB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 10
Requests/sec:    500.00
`

// Captured from h2load (nghttp2 1.52.0) in timed mode: the status counts exceed "succeeded".
const H2LOAD_OK = `TLS Protocol: TLSv1.3
Cipher: TLS_AES_128_GCM_SHA256
Server Temp Key: X25519 253 bits
Application protocol: h2
finished in 1.00s, 2708.00 req/s, 124.62KB/s
requests: 2708 total, 2718 started, 2708 done, 2708 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 2710 2xx, 0 3xx, 0 4xx, 0 5xx
`

test('wrk durations in each unit wrk prints', () => {
  assert.equal(parseWrkDuration('850.00us'), 0.85)
  assert.equal(parseWrkDuration('33.69ms'), 33.69)
  assert.equal(parseWrkDuration('1.02s'), 1020)
  assert.equal(parseWrkDuration('2.00m'), 120_000)
  assert.throws(() => parseWrkDuration('1.0h'), /cannot read wrk duration "1.0h"/)
})

test('wrk: requests, duration, rate and p99 of a clean run', () => {
  const r = parseWrk(WRK_OK)
  assert.equal(r.ok, 2878)
  assert.equal(r.failed, 0)
  assert.equal(r.seconds, 1.02)
  assert.equal(r.perSecond, 2878 / 1.02)
  assert.equal(r.p99Ms, 33.69)
})

test('wrk: non-2xx answers are not counted as served, socket errors are failures', () => {
  const r = parseWrk(WRK_ERRORS)
  assert.equal(r.ok, 990)
  assert.equal(r.failed, 10 + 6)
  assert.equal(r.p99Ms, 1020)
})

test('wrk that failed to run is an error, not zero requests', () => {
  assert.throws(
    () => parseWrk('unable to connect to localhost:1 Connection refused\n'),
    /wrk printed no request count.*refused/,
  )
})

test('h2load: succeeded requests, negotiated protocol', () => {
  const r = parseH2load(H2LOAD_OK)
  assert.equal(r.ok, 2708)
  assert.equal(r.failed, 0)
  assert.equal(r.seconds, 1)
  assert.equal(r.protocol, 'h2')
  assert.equal(r.negotiated, 'TLSv1.3, TLS_AES_128_GCM_SHA256, h2')
})

test('h2load: 5xx answers and errors are failures', () => {
  const out = H2LOAD_OK.replace(
    '2708 succeeded, 0 failed, 0 errored, 0 timeout',
    '2708 succeeded, 4 failed, 1 errored, 0 timeout',
  ).replace('2710 2xx, 0 3xx, 0 4xx, 0 5xx', '2700 2xx, 0 3xx, 0 4xx, 8 5xx')
  const r = parseH2load(out)
  assert.equal(r.ok, 2700)
  assert.equal(r.failed, 8 + 5)
  assert.throws(
    () => parseH2load('No protocol negotiated. Aborted.\n'),
    /h2load printed no summary: No protocol/,
  )
})
