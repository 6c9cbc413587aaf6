import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, test } from 'node:test'
import { connect, createSecureContext, createServer, type SecureContext } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { openssl, withTempDir } from '../crypto/openssl-cli.test.helper.js'
import { CertificateCache, type CertEntry } from './certificate-cache.js'

const DAY = 86_400_000
const T0 = Date.parse('2026-01-01T00:00:00Z')

const entry = (id: string, names: string[], notAfterDays = 90): CertEntry => ({
  id,
  names,
  notAfter: new Date(T0 + notAfterDays * DAY),
  certificatePem: 'unused',
  privateKeyPem: 'unused',
  source: 'acme',
})

/** Real self-signed P-256 certificates made by the openssl CLI, one per SAN list. */
const pems: Record<string, { cert: string; key: string }> = {}
before(async () => {
  await withTempDir(async (dir) => {
    for (const [label, san] of [
      ['one', 'DNS:a.test,DNS:one.test'],
      ['two', 'DNS:a.test,DNS:two.test'],
    ] as const) {
      await openssl(
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          `${label}.key`,
          '-out',
          `${label}.crt`,
          '-subj',
          `/CN=${label}`,
          '-days',
          '1',
          '-addext',
          `subjectAltName=${san}`,
        ],
        dir,
      )
      pems[label] = {
        cert: await readFile(join(dir, `${label}.crt`), 'utf8'),
        key: await readFile(join(dir, `${label}.key`), 'utf8'),
      }
    }
  })
})

const realEntry = (id: string, label: string, names: string[]): CertEntry => {
  const pem = pems[label]
  assert.ok(pem, `no test certificate ${label}`)
  return { ...entry(id, names), certificatePem: pem.cert, privateKeyPem: pem.key, source: 'file' }
}

test('lookup: exact, wildcard, IP, case and trailing dot (table)', () => {
  const cache = new CertificateCache()
  cache.set(entry('exact', ['Example.COM', 'www.example.com.']))
  cache.set(entry('wild', ['*.example.com']))
  cache.set(entry('ip4', ['192.0.2.7']))
  cache.set(entry('ip6', ['2001:DB8:0:0::1']))
  cache.set(entry('local', ['localhost']))
  const cases: [servername: string, id: string | undefined][] = [
    ['example.com', 'exact'],
    ['EXAMPLE.com', 'exact'],
    ['example.com.', 'exact'],
    ['www.example.com', 'exact'],
    ['WWW.Example.Com.', 'exact'],
    ['api.example.com', 'wild'],
    ['API.EXAMPLE.COM.', 'wild'],
    ['a.b.example.com', undefined],
    ['.example.com', undefined],
    ['example.org', undefined],
    ['com', undefined],
    ['192.0.2.7', 'ip4'],
    ['1.192.0.2.7', undefined],
    ['2001:db8::1', 'ip6'],
    ['2001:0DB8:0000::0001', 'ip6'],
    ['localhost', 'local'],
    ['localhost.', 'local'],
    ['', undefined],
  ]
  for (const [name, id] of cases) assert.equal(cache.lookup(name)?.id, id, name)
  assert.deepEqual(cache.get('ip6')?.names, ['2001:db8::1'])
  assert.deepEqual(cache.get('exact')?.names, ['example.com', 'www.example.com'])
})

test('wildcards cover one label only, and an exact name beats a longer-lived wildcard', () => {
  const cache = new CertificateCache()
  cache.set(entry('deep', ['*.b.example.com']))
  cache.set(entry('top', ['*.example.com'], 365))
  cache.set(entry('x', ['x.example.com'], 10))
  assert.equal(cache.lookup('a.b.example.com')?.id, 'deep')
  assert.equal(cache.lookup('b.example.com')?.id, 'top')
  assert.equal(cache.lookup('c.a.b.example.com'), undefined)
  assert.equal(cache.lookup('x.example.com')?.id, 'x')
  cache.delete('deep')
  assert.equal(cache.lookup('a.b.example.com'), undefined)
})

test('several entries for a name: the latest notAfter wins; delete falls back', () => {
  const cache = new CertificateCache()
  cache.set(entry('old', ['a.test'], 30))
  cache.set(entry('new', ['a.test'], 90))
  cache.set(entry('mid', ['a.test'], 60))
  assert.equal(cache.lookup('a.test')?.id, 'new')
  assert.equal(cache.delete('new'), true)
  assert.equal(cache.lookup('a.test')?.id, 'mid')
  cache.delete('mid')
  assert.equal(cache.lookup('a.test')?.id, 'old')
  cache.set(entry('tie', ['a.test'], 30))
  assert.equal(cache.lookup('a.test')?.id, 'tie', 'on a tie the most recently set wins')
  cache.delete('tie')
  cache.delete('old')
  assert.equal(cache.lookup('a.test'), undefined)
  assert.equal(cache.delete('old'), false)
  assert.equal(cache.size, 0)
})

test('replacing an entry re-indexes its names', () => {
  const cache = new CertificateCache()
  cache.set(entry('e', ['a.test', 'b.test']))
  cache.set(entry('e', ['c.test']))
  cache.set(entry('f', ['f.test']))
  cache.set(entry('e', ['c.test', 'd.test']))
  assert.deepEqual(
    [...cache.entries()].map((e) => e.id),
    ['f', 'e'],
  )
  assert.equal(cache.size, 2)
  assert.equal(cache.lookup('a.test'), undefined)
  assert.equal(cache.lookup('c.test')?.id, 'e')
})

test('contexts: lazy, bounded LRU, evicted ones re-created', () => {
  let created = 0
  const cache = new CertificateCache({
    maxContexts: 2,
    createContext: (): SecureContext => {
      created++
      return createSecureContext()
    },
  })
  for (const n of ['1', '2', '3']) cache.set(entry(n, [`h${n}.test`]))
  assert.equal(cache.contextCount, 0, 'nothing built before first use')
  const c1 = cache.contextFor('h1.test')
  cache.contextFor('h2.test')
  assert.equal(created, 2)
  assert.equal(cache.contextFor('h1.test'), c1, 'a hit returns the cached context')
  assert.equal(created, 2)
  cache.contextFor('h3.test') // evicts h2: h1 was used more recently
  assert.equal(created, 3)
  assert.equal(cache.contextCount, 2)
  assert.equal(cache.contextFor('h1.test'), c1)
  assert.equal(created, 3)
  cache.contextFor('h2.test') // re-created; evicts h3
  assert.equal(created, 4)
  cache.contextFor('h3.test')
  assert.equal(created, 5)
  assert.equal(cache.contextCount, 2)
  assert.equal(cache.contextFor('nothing.test'), undefined)
  cache.set(entry('1', ['h1.test']))
  assert.notEqual(cache.contextFor('h1.test'), c1, 'replacing an entry drops its context')
  assert.equal(created, 6)
})

test('a key that does not load is ERR_CERTIFICATE naming the entry', () => {
  const cache = new CertificateCache()
  cache.set({ ...entry('broken', ['bad.test']), certificatePem: 'x', privateKeyPem: 'y' })
  assert.throws(() => cache.contextFor('bad.test'), {
    code: 'ERR_CERTIFICATE',
    message: /"broken" \(acme\) for bad\.test/,
  })
  assert.equal(cache.contextCount, 0)
})

test('bad entries are refused with TypeError/RangeError naming the value', () => {
  const cache = new CertificateCache()
  assert.throws(() => new CertificateCache({ maxContexts: 0 }), { name: 'RangeError' })
  for (const names of [[], ['a..b'], ['*.*.example.com'], ['a.*.example.com'], ['ex ample.com']]) {
    assert.throws(() => cache.set(entry('e', names)), { name: 'TypeError' }, JSON.stringify(names))
  }
  assert.throws(() => cache.set({ ...entry('e', ['a.test']), source: 'other' as 'acme' }), {
    name: 'TypeError',
    message: /source "other"/,
  })
  assert.throws(() => cache.set({ ...entry('e', ['a.test']), notAfter: new Date('x') }), {
    name: 'TypeError',
  })
  assert.equal(cache.size, 0)
})

test('a real TLS server with the cache as SNICallback serves the replaced certificate', async () => {
  const cache = new CertificateCache()
  cache.set(realEntry('site', 'one', ['a.test', 'one.test']))
  const server = createServer({
    SNICallback: (name, cb) => {
      try {
        cb(null, cache.contextFor(name))
      } catch (err) {
        cb(err as Error)
      }
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as AddressInfo
    assert.equal(await servedSan(port, 'a.test'), 'DNS:a.test, DNS:one.test')
    cache.set(realEntry('site', 'two', ['a.test', 'two.test']))
    assert.equal(await servedSan(port, 'A.TEST'), 'DNS:a.test, DNS:two.test')
    assert.equal(await servedSan(port, 'two.test'), 'DNS:a.test, DNS:two.test')
    await assert.rejects(servedSan(port, 'one.test'))
    assert.equal(cache.contextCount, 1)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Connects with SNI `servername` and returns the served certificate's subjectaltname. */
function servedSan(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false })
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')))
    socket.once('secureConnect', () => {
      const san = socket.getPeerCertificate().subjectaltname
      socket.end()
      resolve(san ?? '')
    })
    socket.once('error', reject)
  })
}

test('100k entries sharing one PEM: lookups work and no context is built eagerly', () => {
  const cache = new CertificateCache({ maxContexts: 10 })
  const shared = pems['one']
  assert.ok(shared)
  const N = 100_000
  for (let i = 0; i < N; i++) {
    cache.set({
      id: `c${i}`,
      names: [`host${i}.example.com`, `*.w${i}.example.net`],
      notAfter: new Date(T0 + (i % 90) * DAY),
      certificatePem: shared.cert,
      privateKeyPem: shared.key,
      source: 'folder',
    })
  }
  assert.equal(cache.size, N)
  assert.equal(cache.contextCount, 0)
  const started = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    const hit = cache.lookup(i % 2 === 0 ? `host${i}.example.com` : `x.w${i}.example.net`)
    if (hit?.id !== `c${i}`) assert.fail(`lookup ${i} gave ${hit?.id}`)
  }
  const perLookupNs = Number(process.hrtime.bigint() - started) / N
  // Generous (the bench measures it properly), but a linear scan would take milliseconds per call.
  assert.ok(perLookupNs < 20_000, `${perLookupNs} ns per lookup`)
  assert.equal(cache.lookup('host100000.example.com'), undefined)
  for (const i of [0, 5, 99_999]) assert.ok(cache.contextFor(`host${i}.example.com`))
  assert.equal(cache.contextCount, 3)
})

test('pending entries: loaded at first use, once; precedence exact > pending exact > wildcard > pending wildcard', async () => {
  const cache = new CertificateCache({ createContext: () => createSecureContext() })
  const loads: string[] = []
  const pending = (id: string, names: string[], result: CertEntry | undefined) => ({
    id,
    names,
    load: async () => {
      loads.push(id)
      await new Promise((r) => setImmediate(r))
      return result
    },
  })
  cache.set(entry('wild', ['*.example.com']))
  cache.setPending(pending('p-api', ['API.example.com'], entry('p-api', ['api.example.com'])))
  cache.setPending(pending('p-wild', ['*.pending.test'], entry('p-wild', ['*.pending.test'])))
  cache.setPending(pending('p-bad', ['bad.example.com'], undefined))
  assert.equal(cache.size, 1)
  assert.equal(cache.pendingCount, 3)
  // A pending exact name is not answered by the loaded wildcard: the caller must wait for it.
  assert.equal(cache.lookup('api.example.com'), undefined)
  assert.equal(cache.contextFor('api.example.com'), undefined)
  assert.equal(cache.lookup('www.example.com')?.id, 'wild')
  assert.equal(cache.pendingFor('www.example.com'), undefined, 'loaded: nothing to wait for')
  assert.equal(cache.pendingFor('nothing.test'), undefined)

  const first = cache.pendingFor('api.example.com')
  const second = cache.pendingFor('API.EXAMPLE.COM.')
  assert.equal(first, second, 'one load for concurrent handshakes')
  await first
  assert.equal(cache.lookup('api.example.com')?.id, 'p-api')
  assert.ok(cache.contextFor('api.example.com'))
  await cache.pendingFor('x.pending.test')
  assert.equal(cache.lookup('y.pending.test')?.id, 'p-wild')
  // Refused: removed, and the wildcard serves the name from then on.
  await cache.pendingFor('bad.example.com')
  assert.equal(cache.lookup('bad.example.com')?.id, 'wild')
  assert.deepEqual(loads, ['p-api', 'p-wild', 'p-bad'])
  assert.equal(cache.pendingCount, 0)
  assert.equal(cache.size, 3)
})

test('pending entries: replaced or deleted while loading, the stale load is dropped', async () => {
  const cache = new CertificateCache()
  let release: (() => void) | undefined
  const gate = new Promise<void>((r) => (release = r))
  cache.setPending({
    id: 'a',
    names: ['a.test'],
    load: async () => (await gate, entry('a', ['a.test'], 1)),
  })
  const loading = cache.pendingFor('a.test')
  cache.set(entry('a', ['a.test'], 90))
  release?.()
  await loading
  assert.equal(cache.lookup('a.test')?.notAfter.getTime(), T0 + 90 * DAY, 'the newer set wins')
  cache.setPending({ id: 'b', names: ['b.test'], load: async () => entry('b', ['b.test']) })
  const loadingB = cache.loadPending('b')
  assert.equal(cache.delete('b'), true)
  await loadingB
  assert.equal(cache.lookup('b.test'), undefined)
  assert.throws(
    () => cache.setPending({ id: 'c', names: ['not a name'], load: async () => undefined }),
    /certificate entry c name "not a name"/,
  )
})

test('mayServeIps: false until an entry, a pending entry or a miss handler could serve an address', () => {
  const cache = new CertificateCache()
  cache.set(entry('dns', ['a.example', '*.b.example']))
  assert.equal(cache.mayServeIps, false, 'DNS names only')
  cache.set(entry('ip', ['192.0.2.7', 'c.example']))
  assert.equal(cache.mayServeIps, true)
  cache.set(entry('ip', ['c.example']))
  assert.equal(cache.mayServeIps, false, 'replaced without its address')
  cache.setPending({ id: 'p', names: ['2001:db8::1'], load: () => Promise.resolve(undefined) })
  assert.equal(cache.mayServeIps, true, 'pending')
  cache.delete('p')
  assert.equal(cache.mayServeIps, false)
  cache.setMissHandler(() => {})
  assert.equal(cache.mayServeIps, true, 'a miss handler may index one')
  cache.setMissHandler(undefined)
  assert.equal(cache.mayServeIps, false)
})
