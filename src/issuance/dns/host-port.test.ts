import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatHostPort, parseHostPort } from './host-port.js'

test('parses host:port, bracketed IPv6, bare addresses and names', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 })
  assert.deepEqual(parseHostPort('[::1]:53'), { host: '::1', port: 53 })
  assert.deepEqual(parseHostPort('[::1]'), { host: '::1', port: 53 })
  assert.deepEqual(parseHostPort('::1'), { host: '::1', port: 53 })
  assert.deepEqual(parseHostPort('10.0.0.1'), { host: '10.0.0.1', port: 53 })
  assert.deepEqual(parseHostPort('ns1.example.com:8053'), { host: 'ns1.example.com', port: 8053 })
})

test('names the bad value', () => {
  for (const bad of [
    '',
    '127.0.0.1:0',
    '127.0.0.1:70000',
    '127.0.0.1:x',
    '[::1',
    '[::1]x',
    '[nope]:53',
    ':53',
    'a b:53',
  ]) {
    assert.throws(
      () => parseHostPort(bad),
      (err: Error) => err instanceof RangeError && err.message.includes(`"${bad}"`),
      bad,
    )
  }
})

test('formats so the text parses again', () => {
  assert.equal(formatHostPort({ host: '::1', port: 5353 }), '[::1]:5353')
  assert.equal(formatHostPort({ host: '127.0.0.1', port: 53 }), '127.0.0.1:53')
})
