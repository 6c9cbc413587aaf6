import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_KEY_PART_BYTES, safeKeyPart, validateKey, validatePrefix } from './keys.js'

test('safeKeyPart: table', () => {
  const long = 'a'.repeat(300)
  const table: [string, string][] = [
    ['Example.COM', 'example.com'],
    ['  spaced out  ', 'spaced_out'],
    ['*.example.com', 'wildcard_.example.com'],
    ['user+tag@example.com', 'user_tag@example.com'],
    ['acme-v02.api.letsencrypt.org/directory', 'acme-v02.api.letsencrypt.org_directory'],
    ['..', '_'],
    ['.', '_'],
    ['', '_'],
    ['   ', '_'],
    ['a/../../../foo', 'a_._._._foo'],
    ['%2e%2e', '_2e_2e'],
    ['a\0b', 'a_b'],
    ['back\\slash', 'back_slash'],
    ['x....y', 'x.y'],
    ['...', '_'],
    ['ünïcödé', '_n_c_d_'],
    ['[::1]:443', '___1__443'],
  ]
  for (const [input, want] of table) {
    assert.equal(safeKeyPart(input), want, `safeKeyPart(${JSON.stringify(input)})`)
    assert.doesNotThrow(() => validateKey(safeKeyPart(input)), JSON.stringify(input))
  }
  const cut = safeKeyPart(long)
  assert.equal(cut.length, MAX_KEY_PART_BYTES)
  assert.match(cut, /^a+-[0-9a-f]{16}$/)
  assert.notEqual(safeKeyPart(`${long}x`), cut, 'long names differing after the cut stay apart')
  assert.equal(safeKeyPart(long), cut, 'pure: same input, same part')
  assert.throws(() => safeKeyPart(42 as unknown as string), TypeError)
})

test('safeKeyPart never yields a part validateKey rejects', () => {
  const weird = [
    '',
    '.',
    '..',
    '/',
    '//',
    '\\',
    '\0',
    '*',
    '..%2f..',
    'a'.repeat(1000),
    '🙂'.repeat(90),
  ]
  for (const input of weird) {
    const part = safeKeyPart(input)
    assert.deepEqual(validateKey(part), [part], JSON.stringify(input))
    assert.ok(!part.includes('..') && !part.includes('/'), part)
  }
})

test('validateKey: accepts relative keys and returns their parts', () => {
  assert.deepEqual(validateKey('certificates/example.com/cert.pem'), [
    'certificates',
    'example.com',
    'cert.pem',
  ])
  assert.deepEqual(validateKey('.hidden/x..y'), ['.hidden', 'x..y'])
  assert.deepEqual(validateKey('a'.repeat(MAX_KEY_PART_BYTES)), ['a'.repeat(MAX_KEY_PART_BYTES)])
  assert.deepEqual(validatePrefix(''), [])
})

test('validateKey: rejects keys that could escape the root, with a message naming the key', () => {
  const table: [string, RegExp][] = [
    ['', /empty/],
    ['..', /"\.\." part/],
    ['.', /"\." part/],
    ['a/../../../foo', /"\.\." part/],
    ['a/./b', /"\." part/],
    ['/etc/passwd', /absolute/],
    ['a//b', /empty part/],
    ['a/', /empty part/],
    ['a\\..\\b', /backslash/],
    ['a\0b', /NUL/],
    ['C:/Windows', /drive letter/],
    ['a'.repeat(MAX_KEY_PART_BYTES + 1), /longer than 200 bytes/],
    ['é'.repeat(101), /longer than 200 bytes/],
  ]
  for (const [key, why] of table) {
    assert.throws(
      () => validateKey(key),
      (err: Error) => {
        assert.ok(err instanceof TypeError, `${JSON.stringify(key)} gives a TypeError`)
        assert.match(err.message, why)
        assert.match(err.message, /safeKeyPart/)
        return true
      },
      JSON.stringify(key),
    )
  }
  assert.throws(() => validateKey(undefined as unknown as string), TypeError)
  // %2e%2e is not decoded: it is an ordinary name, and stays one on disk.
  assert.deepEqual(validateKey('%2e%2e/x'), ['%2e%2e', 'x'])
})
