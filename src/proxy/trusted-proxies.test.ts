import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { compileTrustedProxies, parseAddress } from './trusted-proxies.js'

describe('compileTrustedProxies', () => {
  const trusted = compileTrustedProxies([
    '10.0.0.0/8',
    '192.168.1.7',
    '172.16.0.0/12',
    'fd00::/8',
    '2001:db8::1',
    '2001:db8:1::/48',
    '100.64.0.0/10',
  ])
  const cases: [ip: string, expected: boolean][] = [
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['::ffff:10.9.9.9', true],
    ['::ffff:11.9.9.9', false],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['2001:db8::1', true],
    ['2001:db8::2', false],
    ['2001:db8:1:ffff::1', true],
    ['2001:db8:2::1', false],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', true],
    ['not an ip', false],
    ['', false],
  ]
  for (const [ip, expected] of cases) {
    test(`${ip || '(empty)'} → ${expected}`, () => assert.equal(trusted(ip), expected))
  }

  test('an empty list trusts nobody', () => {
    assert.equal(compileTrustedProxies([])('127.0.0.1'), false)
  })

  test('/0 trusts every address of its family', () => {
    const all4 = compileTrustedProxies(['0.0.0.0/0'])
    assert.equal(all4('203.0.113.9'), true)
    assert.equal(all4('2001:db8::1'), false)
  })

  for (const bad of [
    '10.0.0.0/33',
    '::/129',
    '10.0.0/8',
    'example.com',
    '10.0.0.1/',
    '1.2.3.4/x',
    '010.0.0.1',
  ]) {
    test(`refuses ${bad}`, () => {
      assert.throws(
        () => compileTrustedProxies([bad]),
        (err: Error) => {
          assert.ok(err instanceof RangeError)
          assert.match(err.message, new RegExp(bad.replace(/[./]/g, '\\$&')))
          return true
        },
      )
    })
  }
})

describe('parseAddress', () => {
  const cases: [text: string, hex: string | undefined][] = [
    ['127.0.0.1', '7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['1::', '00010000000000000000000000000000'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['::ffff:1.2.3.4', '01020304'],
    ['64:ff9b::1.2.3.4', '0064ff9b000000000000000001020304'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['1::2::3', undefined],
    ['12345::', undefined],
    ['1.2.3.256', undefined],
    ['1.2.3', undefined],
  ]
  for (const [text, hex] of cases) {
    test(`${text} → ${hex ?? 'invalid'}`, () => {
      const b = parseAddress(text)
      assert.equal(b ? Buffer.from(b).toString('hex') : undefined, hex)
    })
  }
})
