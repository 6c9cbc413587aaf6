import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { parseCertificate } from '../crypto/certificate.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { jsonLogger } from '../logger.js'
import { createSelfSigned } from '../server/self-signed.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { CertificateFiles } from './certificate-files.js'
import type { FolderEvent } from './certificate-folder.js'

interface Pair {
  certificatePem: string
  privateKeyPem: string
}

async function issue(ca: LocalCa, names: string[]): Promise<Pair> {
  const issued = await ca.issue(names)
  return { certificatePem: issued.leafPem + issued.chainPem, privateKeyPem: issued.privateKeyPem }
}

function fixture(t: TestContext): { dir: string; cert: string; key: string; write(p: Pair): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-files-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'site.crt')
  const key = join(dir, 'site.key')
  return {
    dir,
    cert,
    key,
    write(p) {
      writeFileSync(key, p.privateKeyPem)
      writeFileSync(cert, p.certificatePem)
    },
  }
}

const serial = (cache: CertificateCache, name: string): string | undefined => {
  const entry = cache.lookup(name)
  return entry && parseCertificate(entry.certificatePem).serialHex
}

test('explicit files: a replaced pair is served; a bad replacement is refused (logged, naming the file) and the old one keeps serving', async (t) => {
  const ca = await LocalCa.load(new MemoryStorage())
  const f = fixture(t)
  const first = await issue(ca, ['app.localhost', 'api.localhost'])
  f.write(first)
  const cache = new CertificateCache()
  const events: FolderEvent[] = []
  const lines: string[] = []
  const files = new CertificateFiles({
    pairs: [{ cert: f.cert, key: f.key }],
    cache,
    onEvent: (e) => events.push(e),
    logger: jsonLogger({ write: (l) => lines.push(l) }),
  })
  await files.load()
  const firstSerial = parseCertificate(first.certificatePem).serialHex
  assert.equal(serial(cache, 'api.localhost'), firstSerial)

  const second = await issue(ca, ['app.localhost', 'api.localhost', 'new.localhost'])
  f.write(second)
  await files.check()
  const secondSerial = parseCertificate(second.certificatePem).serialHex
  assert.equal(serial(cache, 'app.localhost'), secondSerial)
  assert.equal(
    serial(cache, 'new.localhost'),
    secondSerial,
    'a name added by the new certificate is served',
  )

  const other = await issue(ca, ['app.localhost', 'api.localhost'])
  const bad: [string, Pair, RegExp][] = [
    [
      'key mismatch',
      { ...other, privateKeyPem: first.privateKeyPem },
      /site\.key is not the key of .*site\.crt/,
    ],
    [
      'expired',
      await createSelfSigned(
        ['app.localhost', 'api.localhost', 'new.localhost'],
        new Date(Date.now() - 400 * 86_400_000),
      ),
      /expired on/,
    ],
    [
      'not covering',
      await issue(ca, ['app.localhost']),
      /does not cover api\.localhost, new\.localhost/,
    ],
    ['unreadable', { certificatePem: 'garbage', privateKeyPem: 'garbage' }, /hold no readable PEM/],
  ]
  for (const [what, pair, reason] of bad) {
    lines.length = 0
    f.write(pair)
    await delay(5) // a new mtime even on coarse file systems
    await files.check()
    assert.equal(serial(cache, 'app.localhost'), secondSerial, `${what}: the old one keeps serving`)
    const [line] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines.length, 1, what)
    assert.equal(line?.['msg'], 'certificate file refused', what)
    assert.equal(line?.['level'], 'warn', what)
    assert.equal(line?.['file'], f.cert, what)
    assert.match(String(line?.['reason']), reason, what)
    await files.check()
    assert.equal(lines.length, 1, `${what}: reported once, not at every poll`)
  }
  assert.deepEqual(
    events.map((e) => e.type),
    ['loaded', 'loaded', 'refused', 'refused', 'refused', 'refused'],
  )
})

test('explicit files: watch() picks up a replacement without a call; start-up errors are thrown, an expired pair is refused', async (t) => {
  const ca = await LocalCa.load(new MemoryStorage())
  const f = fixture(t)
  f.write(await issue(ca, ['w.localhost']))
  const cache = new CertificateCache()
  const files = new CertificateFiles({
    pairs: [{ cert: f.cert, key: f.key }],
    cache,
    pollIntervalMs: 100,
  })
  await files.load()
  files.watch()
  t.after(() => files.close())
  const next = await issue(ca, ['w.localhost'])
  f.write(next)
  const want = parseCertificate(next.certificatePem).serialHex
  for (let i = 0; i < 100 && serial(cache, 'w.localhost') !== want; i++) await delay(50)
  assert.equal(serial(cache, 'w.localhost'), want)

  const wrongKey = (await issue(ca, ['x.localhost'])).privateKeyPem
  writeFileSync(join(f.dir, 'wrong.key'), wrongKey)
  const pairs = (cert: string, key: string) => ({
    pairs: [{ cert, key }],
    cache: new CertificateCache(),
  })
  await assert.rejects(new CertificateFiles(pairs(f.cert, join(f.dir, 'wrong.key'))).load(), {
    code: 'ERR_CERTIFICATE',
    message: /wrong\.key is not the key of .*site\.crt; give the matching pair/,
  })
  await assert.rejects(new CertificateFiles(pairs(join(f.dir, 'missing.crt'), f.key)).load(), {
    code: 'ERR_CONFIG',
    message: /cannot read .*missing\.crt/,
  })
  const expired = await createSelfSigned(['old.localhost'], new Date(Date.now() - 400 * 86_400_000))
  writeFileSync(join(f.dir, 'old.crt'), expired.certificatePem)
  writeFileSync(join(f.dir, 'old.key'), expired.privateKeyPem)
  const refused: FolderEvent[] = []
  const old = {
    ...pairs(join(f.dir, 'old.crt'), join(f.dir, 'old.key')),
    onEvent: (e: FolderEvent) => refused.push(e),
  }
  await new CertificateFiles(old).load()
  assert.equal(old.cache.lookup('old.localhost'), undefined)
  assert.deepEqual(
    refused.map((e) => e.type),
    ['refused'],
  )
})
