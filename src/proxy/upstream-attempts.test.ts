import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { proxyRoute } from './upstream-fixtures.test.helper.js'
import { UpstreamAttempts, type AttemptRequest } from './upstream-attempts.js'
import { UpstreamGroup, type Upstream } from './upstream-group.js'
import type { ProxyRoute } from './types.js'

/** Upstream URLs nothing is ever sent to (the policy never connects). */
const URLS = ['http://10.0.0.1:8080', 'http://10.0.0.2:8080', 'http://10.0.0.3:8080']

const GET: AttemptRequest = {
  method: 'GET',
  hasBody: false,
  clientIp: '192.0.2.1',
  cookie: undefined,
}

/** Attempts on a group of URLS with `retries`, ejecting an upstream at its first counted failure. */
function attempts(
  t: TestContext,
  overrides: Partial<ProxyRoute> = {},
  req: AttemptRequest = GET,
): { attempts: UpstreamAttempts; upstreams: readonly Upstream[] } {
  const route = proxyRoute({
    upstreams: URLS.map((url) => ({ url })),
    passiveHealth: { maxFails: 1, failWindowMs: 10_000, ejectMs: 30_000 },
    ...overrides,
  })
  const group = new UpstreamGroup(route)
  t.after(() => group.close())
  return { attempts: new UpstreamAttempts(group, route, req), upstreams: group.upstreams }
}

const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })

test('a connect failure of an idempotent request is retried, at most `retries` times', (t) => {
  const { attempts: a, upstreams } = attempts(t, { retries: 1 })
  const [u0, u1] = upstreams as [Upstream, Upstream]
  assert.equal(a.failed(u0, 'connect', refused), true)
  assert.equal(a.failed(u1, 'connect', refused), false)
  assert.equal(u0.healthy, false)
  assert.equal(u1.healthy, false)
})

test('timeouts and other failures are never retried; only a timeout counts for passive health', (t) => {
  const { attempts: a, upstreams } = attempts(t, { retries: 2 })
  const [u0, u1] = upstreams as [Upstream, Upstream]
  assert.equal(a.failed(u0, 'timeout', new Error('headers timeout')), false)
  assert.equal(a.failed(u1, 'other', new Error('socket hang up')), false)
  assert.equal(u0.healthy, false)
  assert.equal(u1.healthy, true)
})

test('a request with a body or a non-idempotent method is not retried', (t) => {
  const post = attempts(t, { retries: 2 }, { ...GET, method: 'POST' })
  assert.equal(post.attempts.failed(post.upstreams[0] as Upstream, 'connect', refused), false)
  const put = attempts(t, { retries: 2 }, { ...GET, method: 'PUT', hasBody: true })
  assert.equal(put.attempts.failed(put.upstreams[0] as Upstream, 'connect', refused), false)
})

test('a failure after the answer began is no retry and uses none up, but counts for passive health', (t) => {
  const { attempts: a, upstreams } = attempts(t, { retries: 1 })
  const [u0, u1] = upstreams as [Upstream, Upstream]
  assert.equal(a.failed(u0, 'connect', refused, { answerBegun: true }), false)
  assert.equal(u0.healthy, false, 'the failure is counted against the upstream')
  // The one retry allowed was not spent on the attempt that could not be retried.
  assert.equal(a.failed(u1, 'connect', refused), true)
})
