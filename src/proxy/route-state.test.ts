import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createGateway } from './gateway.js'
import { proxyRouteTo } from './proxy-route-defaults.js'
import { DEFAULT_GATEWAY_LIMITS } from '../server/gateway-listeners.js'
import type { GatewayOptions, HeaderOps, RouteOptions, SiteOptions } from './types.js'

const LIMITS: GatewayOptions['limits'] = DEFAULT_GATEWAY_LIMITS

function sites(route: RouteOptions): SiteOptions[] {
  return [{ hosts: ['app.test', 'www.app.test'], routes: [route], accessLog: false }]
}

function gateway(route: RouteOptions) {
  return createGateway({
    sites: sites(route),
    limits: LIMITS,
    trustedProxies: [],
    via: 'gatehouse',
  })
}

function ops(set: Record<string, string>, remove: string[] = []): HeaderOps {
  return { set, remove }
}

const respond = (headersUp: HeaderOps, headersDown: HeaderOps): RouteOptions => ({
  kind: 'respond',
  path: '/hello',
  maxBodyBytes: 0,
  headersUp,
  headersDown,
  status: 200,
  body: 'hi',
  contentType: 'text/plain',
})

const NONE = ops({})

test('header rules a library route gives are checked when the gateway is built: TypeErrors naming the route and the header', () => {
  const refused: Array<[RouteOptions, RegExp]> = [
    [
      proxyRouteTo(['http://127.0.0.1:1'], {
        path: '/ws',
        headersDown: ops({ 'X-Evil': 'a\r\nb' }),
      }),
      /^route \/ws of app\.test: headersDown\.set "X-Evil": "a\\r\\nb" holds a control character/,
    ],
    [
      proxyRouteTo(['http://127.0.0.1:1'], { headersDown: ops({ 'x-nul': 'a\0' }) }),
      /^route \/ of app\.test: headersDown\.set "x-nul": "a\\u0000" holds a control character/,
    ],
    [
      respond(ops({ 'x-lf': 'a\nSet-Cookie: evil=1' }), NONE),
      /^route \/hello of app\.test: headersUp\.set "x-lf": .* holds a control character/,
    ],
    [
      proxyRouteTo(['http://127.0.0.1:1'], { headersDown: ops({ 'X(1)': 'v' }) }),
      /headersDown\.set "X\(1\)": "X\(1\)" is not a header name \(RFC 9110 §5\.1 token\)$/,
    ],
    [
      respond(NONE, ops({}, ['bad name'])),
      /^route \/hello of app\.test: headersDown\.remove "bad name": .* is not a header name/,
    ],
    [
      proxyRouteTo(['http://127.0.0.1:1'], { headersUp: ops({ 'Transfer-Encoding': 'chunked' }) }),
      /headersUp\.set "Transfer-Encoding": Transfer-Encoding is a framing or connection header the proxy manages itself; it cannot be changed$/,
    ],
    [
      proxyRouteTo(['http://127.0.0.1:1'], { headersDown: ops({}, ['Connection']) }),
      /headersDown\.remove "Connection": Connection is a framing or connection header/,
    ],
    [
      proxyRouteTo(['http://127.0.0.1:1'], { headersDown: ops({ 'content-length': '0' }) }),
      /headersDown\.set "content-length": content-length is a framing or connection header/,
    ],
  ]
  for (const [route, message] of refused) {
    assert.throws(() => gateway(route), { name: 'TypeError', message }, String(message))
  }
})

test('a good rule is accepted; update() refuses a bad one and keeps serving the routes it had', async () => {
  const good = gateway(
    proxyRouteTo(['http://127.0.0.1:1'], {
      headersUp: ops({ host: 'upstream.test', 'X-Tab': 'a\tb' }, ['cookie']),
      headersDown: ops({ 'strict-transport-security': 'max-age=60' }, ['server']),
    }),
  )
  try {
    assert.throws(() => good.update(sites(respond(NONE, ops({ 'x-a': 'b\r\n' })))), TypeError)
    assert.equal(good.serves('app.test'), true)
  } finally {
    await good.close()
  }
})
