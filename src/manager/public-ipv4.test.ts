import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { detectPublicIpv4, isPublicIpv4 } from './public-ipv4.js'

/** A real detector endpoint on loopback: each path answers as `routes` says. */
async function detector(
  t: TestContext,
  routes: Record<string, [number, string] | 'hang'>,
): Promise<string> {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? '']
    if (route === 'hang') return
    const [status, body] = route ?? [404, 'no']
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('detectPublicIpv4: a URL answering the address as text; bad answers, errors and timeouts are refused with the reason', async (t) => {
  const base = await detector(t, {
    '/ip': [200, '93.184.215.14\n'],
    '/private': [200, '192.168.1.20'],
    '/cgn': [200, '100.64.3.4'],
    '/html': [200, '<html>your ip is 93.184.215.14</html>'],
    '/down': [503, 'busy'],
    '/slow': 'hang',
  })
  assert.equal(await detectPublicIpv4(`${base}/ip`), '93.184.215.14')
  await assert.rejects(detectPublicIpv4(`${base}/private`), {
    code: 'ERR_CONFIG',
    message: /\/private answered 192\.168\.1\.20, which is not a public address/,
  })
  await assert.rejects(detectPublicIpv4(`${base}/cgn`), {
    code: 'ERR_CONFIG',
    message: /100\.64\.3\.4/,
  })
  await assert.rejects(detectPublicIpv4(`${base}/html`), {
    code: 'ERR_CONFIG',
    message: /not an IPv4 address/,
  })
  await assert.rejects(detectPublicIpv4(`${base}/down`), {
    code: 'ERR_CONFIG',
    message: /HTTP 503/,
  })
  await assert.rejects(detectPublicIpv4(`${base}/slow`, { timeoutMs: 200 }), {
    code: 'ERR_TIMEOUT',
    message: /gave no IPv4 address within 200 ms/,
  })
})

test('detectPublicIpv4: a function detector, given the signal', async () => {
  assert.equal(await detectPublicIpv4(async () => ' 8.8.4.4 '), '8.8.4.4')
  await assert.rejects(
    detectPublicIpv4(async () => '::1'),
    { code: 'ERR_CONFIG', message: /not an IPv4 address/ },
  )
  await assert.rejects(
    detectPublicIpv4(
      ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('stopped'))),
        ),
      {
        timeoutMs: 50,
      },
    ),
    { code: 'ERR_TIMEOUT' },
  )
  await assert.rejects(
    detectPublicIpv4(() => Promise.reject(new Error('no route'))),
    { code: 'ERR_CONFIG', message: /the IPv4 detector failed: no route/ },
  )
})

test('isPublicIpv4: special-purpose blocks (RFC 6890) are not public', () => {
  for (const a of [
    '1.1.1.1',
    '8.8.8.8',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '223.255.255.254',
  ])
    assert.equal(isPublicIpv4(a), true, a)
  for (const a of [
    '0.1.2.3',
    '10.1.2.3',
    '100.127.0.1',
    '127.0.0.1',
    '169.254.1.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.2.9',
    '192.168.0.1',
    '198.18.0.1',
    '198.51.100.1',
    '203.0.113.5',
    '224.0.0.1',
    '255.255.255.255',
  ])
    assert.equal(isPublicIpv4(a), false, a)
})
