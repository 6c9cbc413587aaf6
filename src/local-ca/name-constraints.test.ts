import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isLocalName, nameConstraintsDer } from './name-constraints.js'

test('isLocalName accepts exactly localhost, *.localhost, *.test, 127.0.0.0/8 and ::1', () => {
  const cases: Array<[string, boolean]> = [
    ['localhost', true],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['app.localhost', true],
    ['a.b.localhost', true],
    ['*.localhost', true],
    ['*.app.localhost', true],
    ['app.test', true],
    ['*.test', true],
    ['deep.app.test', true],
    ['127.0.0.1', true],
    ['127.255.1.2', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['test', false],
    ['example.com', false],
    ['localhost.example.com', false],
    ['notlocalhost', false],
    ['app.testing', false],
    ['app.test.com', false],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['::ffff:127.0.0.1', false],
    ['bad_label.localhost', false],
    ['-x.test', false],
    ['a..test', false],
    ['*.*.test', false],
    ['', false],
  ]
  for (const [name, expected] of cases) {
    assert.equal(isLocalName(name), expected, name)
  }
})

test('isLocalName is false for non-strings rather than throwing', () => {
  assert.equal(isLocalName(undefined as unknown as string), false)
  assert.equal(isLocalName(127 as unknown as string), false)
})

test('nameConstraintsDer is one SEQUENCE holding [0] permittedSubtrees with five subtrees', () => {
  const der = nameConstraintsDer()
  assert.equal(der[0], 0x30)
  assert.equal(der[1], der.length - 2)
  assert.equal(der[2], 0xa0)
  assert.equal(der[3], der.length - 4)
  const text = Buffer.from(der).toString('latin1')
  for (const dns of ['localhost', '.localhost', 'test']) {
    assert.ok(text.includes(`\x82${String.fromCharCode(dns.length)}${dns}`), dns)
  }
  assert.ok(text.includes('\x87\x08\x7f\x00\x00\x00\xff\x00\x00\x00'), '127.0.0.0/8')
  assert.ok(text.includes(`\x87\x20${'\x00'.repeat(15)}\x01${'\xff'.repeat(16)}`), '::1/128')
})
