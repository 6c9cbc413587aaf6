import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseIdentifier, parseIdentifiers } from './identifiers.js'

test('parseIdentifier() normalises names and IP addresses', () => {
  const table: [string, string, string][] = [
    ['Example.COM', 'dns', 'example.com'],
    ['example.com.', 'dns', 'example.com'],
    ['*.example.com', 'dns', '*.example.com'],
    ['bücher.example', 'dns', 'xn--bcher-kva.example'],
    ['localhost', 'dns', 'localhost'],
    ['192.0.2.1', 'ip', '192.0.2.1'],
    ['2001:DB8:0:0:0:0:0:1', 'ip', '2001:db8::1'],
    ['[::1]', 'ip', '::1'],
  ]
  for (const [input, type, value] of table)
    assert.deepEqual(parseIdentifier(input), { type, value }, input)
})

test('parseIdentifier() refuses what no CA would issue, naming the input and the reason', () => {
  const table: [string, RegExp][] = [
    ['', /empty/],
    ['exa mple.com', /not a valid domain name/],
    ['a.*.example.com', /wildcard may only be the whole left-most label/],
    ['*example.com', /wildcard may only be/],
    ['**.example.com', /wildcard may only be/],
    ['*.192.0.2.1', /IP address cannot be a wildcard/],
    ['https://example.com', /without scheme, port or path/],
    ['example.com:443', /without scheme, port or path/],
    ['-bad.example.com', /label "-bad"/],
    ['com', /at least two labels/],
    [`${'a'.repeat(64)}.example.com`, /1 to 63 characters/],
    [`${'a.'.repeat(127)}com`, /longer than 253/],
    ['a..example.com', /label ""/],
  ]
  for (const [input, pattern] of table) {
    assert.throws(
      () => parseIdentifier(input),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_INVALID_IDENTIFIER', input)
        assert.match(err.message, pattern, input)
        assert.ok(err.message.includes(JSON.stringify(input)), `names the input: ${err.message}`)
        return true
      },
    )
  }
})

test('parseIdentifiers() de-duplicates after normalising and needs at least one', () => {
  assert.deepEqual(parseIdentifiers(['A.example.com', 'a.example.com.', '::1', '0:0::1']), [
    { type: 'dns', value: 'a.example.com' },
    { type: 'ip', value: '::1' },
  ])
  assert.throws(() => parseIdentifiers([]), { code: 'ERR_INVALID_IDENTIFIER' })
})
