import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalCa } from '../local-ca/local-ca.js'
import { jsonLogger } from '../logger.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { CertificateManager } from './certificate-manager.js'
import type { IssuedPair, Issuer } from './issuer.js'
import { LocalCaIssuer } from './local-ca-issuer.js'

/** Counts issuances of a real local-CA issuer. */
function counting(inner: Issuer): Issuer & { calls: number } {
  const counter = {
    key: inner.key,
    source: 'local-ca' as const,
    calls: 0,
    issue(
      ids: Parameters<Issuer['issue']>[0],
      o: Parameters<Issuer['issue']>[1],
    ): Promise<IssuedPair> {
      counter.calls++
      return inner.issue(ids, o)
    },
  }
  return counter
}

async function setup(): Promise<{ storage: MemoryStorage; issuer: Issuer & { calls: number } }> {
  const storage = new MemoryStorage()
  const ca = await LocalCa.load(storage)
  return { storage, issuer: counting(new LocalCaIssuer(ca)) }
}

test('manage(): a name added while running is obtained once, even asked for concurrently, then served', async (t) => {
  const { storage, issuer } = await setup()
  const cache = new CertificateCache()
  const lines: string[] = []
  const logger = jsonLogger({ level: 'debug', write: (l) => lines.push(l) })
  const manager = new CertificateManager({ storage, issuer, cache, names: [], logger })
  t.after(() => manager.stop())
  await manager.start()
  let asked = 0
  const mayIssue = (): boolean => ++asked > 0
  const added = await Promise.all(
    Array.from({ length: 5 }, () => manager.manage('New.Localhost', { mayIssue })),
  )
  assert.deepEqual(added, [true, true, true, true, true])
  assert.equal(asked, 1, 'one decision for concurrent calls')
  const entry = await manager.ready('new.localhost', { timeoutMs: 10_000 })
  assert.deepEqual(entry.names, ['new.localhost'])
  assert.equal(cache.lookup('new.localhost'), entry)
  assert.equal(issuer.calls, 1)
  assert.deepEqual(
    manager.status().map((s) => s.name),
    ['new.localhost'],
  )
  assert.equal(await manager.manage('new.localhost', { mayIssue: () => false }), true)
  const obtained = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.deepEqual(
    obtained.map((l) => [l['level'], l['msg'], l['name']]),
    [['info', 'certificate obtained', 'new.localhost']],
  )
  for (const line of lines) assert.doesNotMatch(line, /PRIVATE KEY/)
})

test('manage(): refused by mayIssue when nothing is stored; a stored certificate loads without asking', async (t) => {
  const { storage, issuer } = await setup()
  const first = new CertificateManager({
    storage,
    issuer,
    cache: new CertificateCache(),
    names: ['kept.localhost'],
  })
  await first.start()
  await first.ready('kept.localhost', { timeoutMs: 10_000 })
  await first.stop()

  const cache = new CertificateCache()
  const manager = new CertificateManager({ storage, issuer, cache, names: [] })
  t.after(() => manager.stop())
  await manager.start()
  assert.equal(await manager.manage('refused.localhost', { mayIssue: () => false }), false)
  assert.throws(() => manager.ready('refused.localhost'), RangeError, 'not managed')
  let asked = false
  const loaded = await manager.manage('kept.localhost', { mayIssue: () => (asked = true) })
  assert.equal(loaded, true)
  assert.equal(asked, false, 'loading from storage is not an issuance')
  assert.ok(cache.lookup('kept.localhost'))
  assert.equal(issuer.calls, 1)
  await manager.stop()
  assert.equal(await manager.manage('late.localhost'), false, 'a stopped manager takes no names')
})
