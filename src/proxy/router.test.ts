import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeHost, Router } from './router.js'

interface R {
  path: string
  id: string
}
interface S {
  hosts: string[]
  routes: R[]
  name: string
}

const sites: S[] = [
  {
    name: 'app',
    hosts: ['app.example.com', 'www.example.com'],
    routes: [
      { path: '/', id: 'root' },
      { path: '/ws', id: 'ws' },
      { path: '/api/', id: 'api' },
      { path: '/api/v2', id: 'api2' },
    ],
  },
  { name: 'wild', hosts: ['*.example.com'], routes: [{ path: '/', id: 'wild-root' }] },
  { name: 'nested', hosts: ['*.a.example.com'], routes: [{ path: '/only', id: 'only' }] },
  { name: 'dup', hosts: ['app.example.com'], routes: [{ path: '/', id: 'never' }] },
]

describe('Router', () => {
  const router = new Router<S, R>(sites)
  const cases: [host: string, path: string, expected: string | undefined][] = [
    ['app.example.com', '/', 'app/root'],
    ['app.example.com', '/index.html', 'app/root'],
    ['app.example.com', '/ws', 'app/ws'],
    ['app.example.com', '/ws/', 'app/ws'],
    ['app.example.com', '/ws/chat', 'app/ws'],
    ['app.example.com', '/ws?token=1', 'app/ws'],
    ['app.example.com', '/wsx', 'app/root'],
    ['app.example.com', '/api', 'app/api'],
    ['app.example.com', '/api/users', 'app/api'],
    ['app.example.com', '/api/v2', 'app/api2'],
    ['app.example.com', '/api/v2/x', 'app/api2'],
    ['app.example.com', '/api/v20', 'app/api'],
    ['www.example.com', '/ws', 'app/ws'],
    ['other.example.com', '/ws', 'wild/wild-root'],
    ['example.com', '/', undefined],
    ['x.y.example.com', '/', undefined],
    ['b.a.example.com', '/only/x', 'nested/only'],
    ['b.a.example.com', '/', undefined],
    ['a.example.com', '/', 'wild/wild-root'],
    ['nothing.test', '/', undefined],
  ]
  for (const [host, path, expected] of cases) {
    test(`${host} ${path} → ${expected ?? 'none'}`, () => {
      const m = router.match(host, path)
      assert.equal(m ? `${m.site.name}/${m.route.id}` : undefined, expected)
    })
  }

  test('serves() follows the same host rules', () => {
    assert.equal(router.serves('app.example.com'), true)
    assert.equal(router.serves('z.example.com'), true)
    assert.equal(router.serves('z.z.example.com'), false)
    assert.equal(router.serves('example.com'), false)
  })

  test('siteFor() finds the site whatever the path, also when no route matches it', () => {
    assert.equal(router.siteFor('b.a.example.com')?.name, 'nested')
    assert.equal(router.match('b.a.example.com', '/'), undefined)
    assert.equal(router.siteFor('z.example.com')?.name, 'wild')
    assert.equal(router.siteFor('example.com'), undefined)
  })
})

describe('normalizeHost', () => {
  const cases: [raw: string | undefined, expected: string | undefined][] = [
    ['App.Example.COM', 'app.example.com'],
    ['app.example.com:8443', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['app.example.com.:443', 'app.example.com'],
    ['[::1]:8443', '::1'],
    ['[::1]', '::1'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['localhost', 'localhost'],
    ['under_score.test', 'under_score.test'],
    [undefined, undefined],
    ['', undefined],
    ['a..b', undefined],
    ['.a', undefined],
    ['host:', undefined],
    ['host:99999', undefined],
    ['host:80:80', undefined],
    ['host name', undefined],
    ['host/path', undefined],
    ['host@evil', undefined],
    ['[::1', undefined],
    ['[::1]x', undefined],
    ['[zz::1]', undefined],
    ['ho\u0000st', undefined],
    ['a'.repeat(300), undefined],
  ]
  for (const [raw, expected] of cases) {
    test(`${JSON.stringify(raw)} → ${expected ?? 'invalid'}`, () => {
      assert.equal(normalizeHost(raw), expected)
    })
  }
})
