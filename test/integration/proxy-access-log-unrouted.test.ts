/**
 * Answers given before a route is found (refused heads, no route for the host) reach the access
 * log, as nginx's default server logs them, unless the host names a site whose access log is off.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { RespondRoute } from '../../src/proxy/types.js'
import { curl } from '../helpers/curl.js'
import { firstStatus, rawTls, site, startProxy } from '../helpers/proxy-fixture.js'

function respond(): RespondRoute {
  const none = { set: {}, remove: [] }
  const base = { path: '/', maxBodyBytes: 1024, headersUp: none, headersDown: none }
  return { ...base, kind: 'respond', status: 200, body: 'ok', contentType: 'text/plain' }
}

test('refusals and requests without a route are logged, except for a site with its log off', async (t) => {
  const proxy = await startProxy([
    site(['app.test'], [respond()]),
    site(['other.test'], [respond()], false),
  ])
  t.after(() => proxy.close())
  const send = async (host: string, head: string): Promise<number> => {
    const answer = await rawTls(proxy.port, host, head, proxy.rootPem, 5_000, (text) =>
      text.includes('\r\n\r\n'),
    )
    return firstStatus(answer.text)
  }
  const twoHosts = (host: string): string =>
    `GET /twice HTTP/1.1\r\nHost: ${host}\r\nHost: ${host}\r\n\r\n`

  assert.equal(await send('app.test', twoHosts('app.test')), 400)
  // Refused by the HTTP/1.1 parser itself (whitespace before a colon): nothing of it is known.
  assert.equal(await send('app.test', 'GET /ws HTTP/1.1\r\nHost : app.test\r\n\r\n'), 400)
  assert.equal(await send('other.test', twoHosts('other.test')), 400)
  assert.equal(await send('x.wild.test', 'GET /nothing HTTP/1.1\r\nHost: x.wild.test\r\n\r\n'), 404)
  const long = `/${'a'.repeat(9_000)}`
  assert.equal(await send('app.test', `GET ${long} HTTP/1.1\r\nHost: app.test\r\n\r\n`), 414)
  assert.equal(await send('other.test', 'GET / HTTP/1.1\r\nHost: other.test\r\n\r\n'), 200)
  // HTTP/2: an :authority the connection's SNI name does not cover (RFC 9110 §15.5.20).
  const h2 = await curl([
    '--http2',
    '-H',
    'Host: x.wild.test',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    ...proxy.curlArgs('app.test', '/h2'),
  ])
  assert.equal(h2.stdout, '421')

  for (let i = 0; i < 50 && proxy.log.length < 5; i++) await sleep(20)
  await sleep(50)
  const seen = proxy.log.map((e) => [e.status, e.method, e.host, e.path, e.proto, e.remote])
  assert.deepEqual(seen, [
    [400, 'GET', 'app.test', '/twice', '1.1', '127.0.0.1'],
    [400, '', '', '', '1.1', '127.0.0.1'],
    [404, 'GET', 'x.wild.test', '/nothing', '1.1', '127.0.0.1'],
    [414, 'GET', 'app.test', long.slice(0, 2048), '1.1', '127.0.0.1'],
    [421, 'GET', 'x.wild.test', '/h2', '2', '127.0.0.1'],
  ])
  for (const e of proxy.log) {
    assert.equal(e.upstream, undefined)
    assert.ok(Number(e.bytes) > 0, 'the refusal body is counted')
  }
})

test('a head that times out is logged 408 with the time from its first byte', async (t) => {
  const HEADER_TIMEOUT_MS = 300
  const proxy = await startProxy([site(['app.test'], [respond()])], {
    limits: { headerTimeoutMs: HEADER_TIMEOUT_MS },
  })
  t.after(() => proxy.close())
  // The head is never finished: the connection's header timeout answers it.
  const partial = 'GET /slow HTTP/1.1\r\nHost: app.test\r\n'
  const answer = await rawTls(proxy.port, 'app.test', partial, proxy.rootPem, 5_000)
  assert.equal(firstStatus(answer.text), 408)
  for (let i = 0; i < 50 && proxy.log.length < 1; i++) await sleep(20)
  const [entry] = proxy.log
  assert.deepEqual([entry?.status, entry?.method, entry?.path], [408, '', ''])
  const ms = Number(entry?.duration_ms)
  assert.ok(ms >= HEADER_TIMEOUT_MS - 5 && ms < HEADER_TIMEOUT_MS + 2_000, `duration_ms ${ms}`)
})
