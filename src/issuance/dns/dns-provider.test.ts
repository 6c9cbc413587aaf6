import { test } from 'node:test'
import assert from 'node:assert/strict'
import { challengeFqdn } from './dns-provider.js'
import { rejectUnknownOptions } from './options.js'

test('challengeFqdn: prefix, wildcard removed, lowercase, absolute', () => {
  assert.equal(challengeFqdn('example.com'), '_acme-challenge.example.com.')
  assert.equal(challengeFqdn('*.Example.COM'), '_acme-challenge.example.com.')
  assert.equal(challengeFqdn('a.example.com.'), '_acme-challenge.a.example.com.')
  assert.throws(() => challengeFqdn(''), RangeError)
  assert.throws(() => challengeFqdn('*.'), RangeError)
})

test('unknown options are refused with a suggestion', () => {
  assert.throws(
    () => rejectUnknownOptions('X', { zon: 1 }, ['zone', 'server']),
    /unknown option "zon"; did you mean "zone"\?/,
  )
  assert.doesNotThrow(() => rejectUnknownOptions('X', { zone: 1 }, ['zone']))
})
