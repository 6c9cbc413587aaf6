import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readCookie, stickyCookie, stickyId } from './sticky-cookie.js'

test('readCookie finds a cookie among others', () => {
  const table: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['gh=abc', 'abc'],
    ['a=1; gh=abc; b=2', 'abc'],
    ['a=1;gh=abc', 'abc'],
    ['  gh = abc ;b=2', 'abc'],
    ['gh="abc"', 'abc'],
    ['xgh=1; ghx=2', undefined],
    ['gh=first; gh=second', 'first'],
    ['gh=', ''],
    ['noequals; gh=v', 'v'],
    ['a=b=c; gh=v=w', 'v=w'],
  ]
  for (const [header, want] of table) assert.equal(readCookie(header, 'gh'), want, String(header))
})

test('stickyId is opaque, stable and distinct per upstream', () => {
  const a = stickyId('http://10.0.0.1:8080')
  assert.equal(a, stickyId('http://10.0.0.1:8080'))
  assert.notEqual(a, stickyId('http://10.0.0.2:8080'))
  assert.match(a, /^[A-Za-z0-9_-]{16}$/)
  assert.ok(!a.includes('10.0.0.1'))
})

test('stickyCookie is a scoped HttpOnly session cookie, Secure over TLS', () => {
  assert.equal(stickyCookie('gh', 'ID', '/app', false), 'gh=ID; Path=/app; HttpOnly; SameSite=Lax')
  assert.equal(stickyCookie('gh', 'ID', '/', true), 'gh=ID; Path=/; HttpOnly; SameSite=Lax; Secure')
  // A path that could break out of the attribute falls back to "/".
  assert.equal(
    stickyCookie('gh', 'ID', '/a;Domain=evil', false),
    'gh=ID; Path=/; HttpOnly; SameSite=Lax',
  )
  assert.equal(stickyCookie('gh', 'ID', '/a b', false), 'gh=ID; Path=/; HttpOnly; SameSite=Lax')
})
