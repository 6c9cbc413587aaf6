import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkHeaderOps, headerNameProblem, headerValueProblem } from './header-ops-check.js'
import type { HeaderOps } from './types.js'

test('names: tokens that are not the proxy’s own framing or connection fields', () => {
  for (const ok of ['X-Team', 'host', 'set-cookie', 'sec-websocket-protocol', "a!#$%&'*+.^_`|~1"])
    assert.equal(headerNameProblem(ok), undefined, ok)
  for (const bad of ['', 'X Team', 'X:Team', 'x\r\ny', 'é', '(x)'])
    assert.match(headerNameProblem(bad) ?? '', /is not a header name/, JSON.stringify(bad))
  for (const own of ['Connection', 'keep-alive', 'TE', 'trailer', 'Transfer-Encoding', 'upgrade'])
    assert.match(headerNameProblem(own) ?? '', /manages itself/, own)
  assert.match(headerNameProblem('Content-Length') ?? '', /manages itself/)
})

test('values: any octet but a control character other than HTAB', () => {
  for (const ok of ['', 'a b', 'a\tb', 'café', '"quoted"; x=1'])
    assert.equal(headerValueProblem(ok), undefined, JSON.stringify(ok))
  for (const bad of ['a\rb', 'a\nb', 'a\r\nX-Evil: 1', 'a\0', 'a\x01', 'a\x7f'])
    assert.match(headerValueProblem(bad) ?? '', /holds a control character/, JSON.stringify(bad))
})

test('checkHeaderOps names the route, the list and the header; values of other types are refused', () => {
  const ops = (set: Record<string, unknown>, remove: unknown[] = []): HeaderOps =>
    ({ set, remove }) as HeaderOps
  assert.doesNotThrow(() => checkHeaderOps(ops({ 'x-a': '1' }, ['server']), 'headersUp', 'route /'))
  assert.throws(() => checkHeaderOps(ops({ 'x-a': 5 }), 'headersDown', 'route /api of a.test'), {
    name: 'TypeError',
    message: 'route /api of a.test: headersDown.set "x-a": 5 is not a string',
  })
  assert.throws(() => checkHeaderOps(ops({}, [null]), 'headersUp', 'route /'), {
    name: 'TypeError',
    message: 'route /: headersUp.remove null: null is not a header name',
  })
})
