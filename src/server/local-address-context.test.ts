import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:tls'
import { listeningIps, localIpName, startContextByLocalAddress } from './local-address-context.js'

test('localIpName: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 canonical without its zone', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::1', '::1'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['', undefined],
    [undefined, undefined],
  ]
  for (const [raw, want] of cases) assert.equal(localIpName(raw), want, String(raw))
})

test('listeningIps: a bound host is itself; a wildcard host is every local address of its family', () => {
  assert.deepEqual(listeningIps('127.0.0.1'), ['127.0.0.1'])
  assert.deepEqual(listeningIps('::ffff:127.0.0.1'), ['127.0.0.1'])
  assert.deepEqual(listeningIps('localhost'), [])
  const v4 = listeningIps('0.0.0.0')
  assert.ok(v4.includes('127.0.0.1'), v4.join(' '))
  assert.ok(
    v4.every((ip) => !ip.includes(':')),
    v4.join(' '),
  )
  assert.ok(listeningIps('::').includes('127.0.0.1'))
})

test('startContextByLocalAddress finds the listener Node 20 creates TLSSockets in', () => {
  const server = createServer()
  const before = server.listenerCount('connection')
  assert.equal(
    startContextByLocalAddress(server, () => undefined),
    true,
  )
  assert.equal(server.listenerCount('connection'), before, 'wrapped, not added')
})
