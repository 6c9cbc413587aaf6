import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { NetworkInterfaceInfo } from 'node:os'
import { ipv6Kind, parseIfInet6, stableIpv6Addresses } from './local-ipv6.js'

const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: `${address}/64`,
  scopeid: 0,
})

// As Linux prints it: a stable (EUI-64) address, an RFC 8981 temporary one (flag 0x01), a deprecated
// one (0x20), a tentative one (0x40), a ULA, a link-local address and loopback.
const IF_INET6 = `
2a0100000000000100000000000000aa 02 40 00 00     eth0
2a010000000000010123456789abcdef 02 40 00 01     eth0
2a0100000000000100000000000000bb 02 40 00 20     eth0
2a0100000000000100000000000000cc 02 40 00 40     eth0
fd000000000000000000000000000002 02 40 00 80     eth0
fe8000000000000000fc00fffe000001 02 40 20 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
garbage line
`

test('stableIpv6Addresses: global addresses only, without temporary, deprecated or tentative ones; ULA and link-local when asked', async () => {
  const interfaces = {
    lo: [v6('::1', true), { ...v6('127.0.0.1', true), family: 'IPv4' as const }],
    eth0: [
      v6('2a01:0:0:1::aa'),
      v6('2a01:0:0:1:123:4567:89ab:cdef'),
      v6('2a01::1:0:0:0:bb'),
      v6('2a01:0:0:1::cc'),
      v6('fd00::2'),
      v6('fe80::fc:ff:fe00:1'),
      v6('2001:db8::1'),
    ],
    eth1: [v6('2A01:0:0:1::AA')],
  }
  assert.deepEqual(await stableIpv6Addresses({ interfaces, ifInet6: IF_INET6 }), ['2a01:0:0:1::aa'])
  assert.deepEqual(
    await stableIpv6Addresses({
      interfaces,
      ifInet6: IF_INET6,
      includeUniqueLocal: true,
      includeLinkLocal: true,
    }),
    ['2a01:0:0:1::aa', 'fd00::2', 'fe80::fc:ff:fe00:1'],
  )
  // Without /proc (not Linux): no flags known, so nothing is dropped for them.
  assert.equal((await stableIpv6Addresses({ interfaces, ifInet6: '' })).length, 4)
})

test('parseIfInet6 and ipv6Kind', () => {
  const flags = parseIfInet6(IF_INET6)
  assert.equal(flags.get('2a01::1:123:4567:89ab:cdef'), 0x01)
  assert.equal(flags.get('::1'), 0x80)
  assert.equal(flags.size, 7)
  const kinds: [string, string][] = [
    ['2a01:4f8::1', 'global'],
    ['3fff::1', 'global'],
    ['2001:db8::1', 'special'],
    ['2001:0:4136:e378::1', 'special'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:c000:201', 'special'],
  ]
  for (const [address, kind] of kinds) assert.equal(ipv6Kind(address), kind, address)
})

test('stableIpv6Addresses on this machine: canonical global addresses only', async () => {
  for (const address of await stableIpv6Addresses()) assert.equal(ipv6Kind(address), 'global')
})
