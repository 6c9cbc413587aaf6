import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonOf, locationOf, problemFromResponse, type AcmeResponse } from './http.js'

function response(
  status: number,
  body: string,
  headers: AcmeResponse['headers'] = {},
): AcmeResponse {
  return { url: 'https://ca/x', status, headers, body: Buffer.from(body), retryAfterMs: 5_000 }
}

test('problem documents are kept whole, with Retry-After', () => {
  const doc = {
    type: 'urn:ietf:params:acme:error:rejectedIdentifier',
    detail: 'no',
    status: 400,
    subproblems: [
      {
        type: 'urn:ietf:params:acme:error:caa',
        detail: 'CAA forbids',
        identifier: { type: 'dns', value: 'a.example' },
      },
    ],
    extra: 42,
  }
  const err = problemFromResponse(response(400, JSON.stringify(doc)))
  assert.equal(err.code, 'ERR_ACME_PROBLEM')
  assert.equal(err.acmeType, 'rejectedIdentifier')
  assert.deepEqual(err.problem, doc)
  assert.equal(err.status, 400)
  assert.equal(err.retryAfterMs, 5_000)
  assert.equal(err.url, 'https://ca/x')
  assert.ok(err.concerns({ type: 'dns', value: 'a.example' }))
  assert.match(err.message, /rejectedIdentifier: no; a\.example: caa \(CAA forbids\)/)
})

test('a non-problem error body becomes about:blank with the status', () => {
  const err = problemFromResponse(response(503, '<html>down</html>'))
  assert.equal(err.problem.type, 'about:blank')
  assert.equal(err.acmeType, undefined)
  assert.equal(err.status, 503)
  assert.match(err.message, /HTTP 503: <html>down/)
})

test('jsonOf and locationOf refuse what is not ACME', () => {
  assert.deepEqual(jsonOf(response(200, '{"a":1}')), { a: 1 })
  for (const body of ['nope', '[1]', 'null', '']) {
    assert.throws(() => jsonOf(response(200, body)), { code: 'ERR_ACME_PROTOCOL' }, body)
  }
  assert.equal(locationOf(response(201, '{}', { location: '/acct/1' })), 'https://ca/acct/1')
  assert.throws(() => locationOf(response(201, '{}')), {
    code: 'ERR_ACME_PROTOCOL',
    message: /without a Location/,
  })
})
