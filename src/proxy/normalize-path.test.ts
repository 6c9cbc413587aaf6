import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isPathRefusal, normalizeTarget } from './normalize-path.js'

/** [request-target, normalised target, or REFUSED] */
const REFUSED = 'refused'
const CASES: [string, string][] = [
  // Nothing to do: returned as is.
  ['/', '/'],
  ['/api/v1/users', '/api/v1/users'],
  ['/style.css', '/style.css'],
  ['/a/.hidden/b', '/a/.hidden/b'],
  ['/a/.../b', '/a/.../b'],
  ['/a/..b/c', '/a/..b/c'],
  ['/a/b../c', '/a/b../c'],
  ['/a./b.', '/a./b.'],
  ['/a%20b/c', '/a%20b/c'],
  ['/trailing/', '/trailing/'],
  // RFC 3986 §5.2.4 dot-segment removal.
  ['/a/./b', '/a/b'],
  ['/a/b/../c', '/a/c'],
  ['/public/../private', '/private'],
  ['/public/../private/x', '/private/x'],
  ['/a/b/c/../../d', '/a/d'],
  ['/a/b/..', '/a/'],
  ['/a/b/.', '/a/b/'],
  ['/a/..', '/'],
  ['/.', '/'],
  ['/./a', '/a'],
  // Encoded dots are dots for the test (RFC 3986 §6.2.2.2), in either case and mixed with plain ones.
  ['/public/%2e%2e/private', '/private'],
  ['/public/%2E%2E/private', '/private'],
  ['/public/%2e%2E/private', '/private'],
  ['/public/.%2e/private', '/private'],
  ['/public/%2e./private', '/private'],
  ['/a/%2e/b', '/a/b'],
  ['/a/%2E', '/a/'],
  // ...but left encoded in any other segment.
  ['/a%2eb/c', '/a%2eb/c'],
  ['/%2e%2e%2e/x', '/%2e%2e%2e/x'],
  // %2f is never decoded: it stays inside its segment.
  ['/a%2fb/c', '/a%2fb/c'],
  ['/a%2Fb/../c', '/c'],
  // Double encoding is left alone: `%252e` is a `%2e` only to a server that decodes twice.
  ['/a/%252e%252e/b', '/a/%252e%252e/b'],
  // Empty segments are merged, as nginx's merge_slashes: `//admin` is `/admin` for routing.
  ['//admin', '/admin'],
  ['/a//b', '/a/b'],
  ['/a///b//', '/a/b/'],
  ['//', '/'],
  ['//..//x', REFUSED],
  ['/a//../b', '/b'],
  // The query is untouched, dot-segments and slashes in it included.
  ['/a/../b?x=/../y//z', '/b?x=/../y//z'],
  ['/a?%2e%2e', '/a?%2e%2e'],
  ['/?q=..', '/?q=..'],
  ['/a/./b?', '/a/b?'],
  // Climbing above the root: refused, not clamped.
  ['/..', REFUSED],
  ['/../etc/passwd', REFUSED],
  ['/a/../..', REFUSED],
  ['/a/../../b', REFUSED],
  ['/%2e%2e/', REFUSED],
  ['/%2E%2e/etc', REFUSED],
  ['/./../x', REFUSED],
  // Segments some upstreams read as dot-segments and others do not: refused.
  ['/public/..;/private', REFUSED],
  ['/public/..;jsessionid=1/private', REFUSED],
  ['/public/.;/x', REFUSED],
  ['/public/%2e%2e;/private', REFUSED],
  ['/public/..%2fprivate', REFUSED],
  ['/public/..%2Fprivate', REFUSED],
  ['/public/%2e%2e%2fprivate', REFUSED],
  ['/public/..%5cprivate', REFUSED],
  ['/public/..\\private', REFUSED],
  ['/public\\..\\private', REFUSED],
  ['/a/x%2f..%2fy', REFUSED],
  // `;` with no dot-segment in it is an ordinary character.
  ['/a;v=1.2/b', '/a;v=1.2/b'],
  ['/a/b;c/../d', '/a/d'],
  ['/a\\b', '/a\\b'],
  // A fragment has no place in origin-form (RFC 9112 §3.2.1).
  ['/a#b', REFUSED],
  ['/public#/../private', REFUSED],
]

test(`normalizeTarget: ${CASES.length} request-targets`, () => {
  for (const [input, expected] of CASES) {
    const got = normalizeTarget(input)
    const shown = isPathRefusal(got) ? REFUSED : got
    assert.equal(shown, expected, `${JSON.stringify(input)} gave ${JSON.stringify(got)}`)
  }
})

test('normalizeTarget returns the target unchanged when there is nothing to change', () => {
  for (const target of ['/api/v1/users?id=3', '/style.css', '/a%20b']) {
    assert.equal(normalizeTarget(target), target)
  }
})

test('refusals say what was wrong, naming the path or segment', () => {
  assert.deepEqual(normalizeTarget('/a/../..'), {
    refused: 'path "/a/../.." climbs above the root',
  })
  assert.deepEqual(normalizeTarget('/p/..;x/q'), {
    refused: 'path segment "..;x" is ambiguous: some servers read a dot-segment in it',
  })
  assert.deepEqual(normalizeTarget('/a#b'), {
    refused: 'a fragment (#) has no place in a request-target',
  })
  const long = `/${'x'.repeat(200)}/../..`
  const refusal = normalizeTarget(long)
  assert.ok(isPathRefusal(refusal) && refusal.refused.length < 120, 'a long path is cut')
})
