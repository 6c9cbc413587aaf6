import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { CertificateFolder, type FolderEvent } from '../../src/manager/certificate-folder.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { CertificateSources } from '../../src/server/certificate-sources.js'
import { HttpsServer } from '../../src/server/https-server.js'
import { FakeClock } from '../../src/testing/fake-clock.js'
import { tempDir } from '../helpers/temp-dir.js'

/** Writes a pair the way a careful tool does: temp files, then rename, key first. */
function writePair(
  dir: string,
  stem: string,
  pair: { certificatePem: string; privateKeyPem: string },
): void {
  writeFileSync(join(dir, `.${stem}.key.tmp`), pair.privateKeyPem)
  renameSync(join(dir, `.${stem}.key.tmp`), join(dir, `${stem}.key`))
  writeFileSync(join(dir, `.${stem}.crt.tmp`), pair.certificatePem)
  renameSync(join(dir, `.${stem}.crt.tmp`), join(dir, `${stem}.crt`))
}

async function issue(
  ca: LocalCa,
  names: string[],
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const c = await ca.issue(names)
  return { certificatePem: c.leafPem + c.chainPem, privateKeyPem: c.privateKeyPem }
}

test('certificate folder: by name, wildcard and default; bad files refused once, naming the file', async (t) => {
  const dir = tempDir(t, 'gatehouse-certdir')
  const ca = await LocalCa.load(new MemoryStorage())
  const past = await LocalCa.load(new MemoryStorage(), {
    clock: new FakeClock(Date.now() - 90 * 86400_000),
  })
  writePair(dir, 'app.test', await issue(ca, ['app.test']))
  writePair(dir, '_wildcard.w.test', await issue(ca, ['*.w.test']))
  writePair(dir, 'default', await issue(ca, ['localhost']))
  const other = await issue(ca, ['other.test'])
  writePair(dir, 'wrong-name.test', other)
  writePair(dir, 'mismatch.test', {
    certificatePem: (await issue(ca, ['mismatch.test'])).certificatePem,
    privateKeyPem: other.privateKeyPem,
  })
  writePair(dir, 'old.test', await issue(past, ['old.test']))
  writeFileSync(join(dir, 'lonely.test.crt'), 'no key beside me')

  const events: FolderEvent[] = []
  const cache = new CertificateCache()
  const folder = new CertificateFolder({ dir, cache, onEvent: (e) => events.push(e) })
  await folder.scan()
  // Start-up reads nothing but default.crt: the other five pairs are known by file name only.
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.name}`),
    ['loaded default'],
  )
  assert.equal(cache.size, 0)
  assert.equal(cache.pendingCount, 5)
  // A status check reads and checks them all; bad ones are refused then (else at first use).
  await folder.loadAll()
  assert.equal(cache.pendingCount, 0)
  assert.equal(cache.lookup('app.test')?.source, 'folder')
  assert.equal(cache.lookup('x.w.test')?.id, 'folder:_wildcard.w.test')
  assert.equal(cache.lookup('a.b.w.test'), undefined)
  assert.equal(folder.defaultEntry?.source, 'default')
  for (const name of ['other.test', 'wrong-name.test', 'mismatch.test', 'old.test', 'lonely.test'])
    assert.equal(cache.lookup(name), undefined, name)

  const refused = events.filter((e) => e.type === 'refused')
  const reason = (file: string): string => {
    const e = refused.find((r) => r.file === join(dir, file))
    return e?.type === 'refused' ? e.reason : ''
  }
  assert.match(
    reason('wrong-name.test.crt'),
    /does not cover wrong-name\.test \(it names other\.test\)/,
  )
  assert.match(
    reason('mismatch.test.crt'),
    /mismatch\.test\.key is not the key of mismatch\.test\.crt/,
  )
  assert.match(reason('old.test.crt'), /expired on/)
  assert.equal(refused.length, 3)
  await folder.scan()
  assert.equal(events.filter((e) => e.type === 'refused').length, 3, 'a bad file is reported once')
})

test('certificate folder: a replaced file is served without a restart; a bad replacement keeps the old one', async (t) => {
  const dir = tempDir(t, 'gatehouse-certdir')
  const ca = await LocalCa.load(new MemoryStorage())
  const first = await issue(ca, ['app.test'])
  writePair(dir, 'app.test', first)
  const events: FolderEvent[] = []
  const cache = new CertificateCache()
  const folder = new CertificateFolder({
    dir,
    cache,
    pollIntervalMs: 100,
    onEvent: (e) => events.push(e),
  })
  await folder.watch()
  t.after(() => folder.close())
  assert.equal(cache.lookup('app.test'), undefined, 'not read before first use')
  await cache.pendingFor('app.test')
  const serial = (): string =>
    parseCertificate(cache.lookup('app.test')?.certificatePem ?? '').serialHex
  const firstSerial = serial()

  const until = async (what: string, check: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
    assert.ok(check(), what)
  }
  const second = await issue(ca, ['app.test'])
  writePair(dir, 'app.test', second)
  await until('the new certificate is served', () => serial() !== firstSerial)
  const secondSerial = serial()

  writePair(dir, 'app.test', {
    certificatePem: (await issue(ca, ['other.test'])).certificatePem,
    privateKeyPem: second.privateKeyPem,
  })
  await until('the bad file is refused', () => events.some((e) => e.type === 'refused'))
  assert.equal(serial(), secondSerial, 'the previous certificate keeps serving')

  rmSync(join(dir, 'app.test.crt'))
  await until('a removed file stops being served', () => cache.lookup('app.test') === undefined)
})

/** An HTTPS server on a free loopback port over the folder's cache, `localhost` by default; its port. */
async function serveFolderCache(
  t: TestContext,
  cache: CertificateCache,
  ca: LocalCa,
): Promise<number> {
  const server = new HttpsServer(
    {
      cache: new CertificateSources([cache]),
      defaultCertificate: await issue(ca, ['localhost']),
      https: { host: '127.0.0.1', port: 0 },
      http: { port: -1 },
    },
    (_req, res) => res.end('ok'),
  )
  await server.listen()
  t.after(() => server.close())
  return server.httpsPort ?? 0
}

/** The certificate a TLS handshake with SNI `servername` gets: its SAN string. */
function handshake(port: number, servername: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, servername, rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate().subjectaltname)
        socket.destroy()
      },
    )
    socket.setTimeout(10_000, () =>
      socket.destroy(new Error(`handshake for ${servername} timed out`)),
    )
    socket.on('error', reject)
  })
}

test('certificate folder: read at the first handshake for a name; a bad file refused then, naming it, and the default served', async (t) => {
  const dir = tempDir(t, 'gatehouse-certdir')
  const ca = await LocalCa.load(new MemoryStorage())
  writePair(dir, 'app.test', await issue(ca, ['app.test']))
  writePair(dir, '_wildcard.w.test', await issue(ca, ['*.w.test']))
  const other = await issue(ca, ['other.test'])
  writePair(dir, 'bad.test', other)
  const events: FolderEvent[] = []
  const cache = new CertificateCache()
  const folder = new CertificateFolder({ dir, cache, onEvent: (e) => events.push(e) })
  await folder.watch()
  t.after(() => folder.close())
  const port = await serveFolderCache(t, cache, ca)
  assert.equal(events.length, 0, 'nothing read at start')

  assert.equal(await handshake(port, 'app.test'), 'DNS:app.test')
  assert.equal(await handshake(port, 'api.w.test'), 'DNS:*.w.test')
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.name}`),
    ['loaded app.test', 'loaded *.w.test'],
  )
  // The second handshake is served from memory: no further read.
  assert.equal(await handshake(port, 'app.test'), 'DNS:app.test')
  assert.equal(events.length, 2)

  assert.equal(await handshake(port, 'bad.test'), 'DNS:localhost', 'the default certificate')
  const refused = events.filter((e) => e.type === 'refused')
  assert.equal(refused.length, 1)
  assert.equal(refused[0]?.file, join(dir, 'bad.test.crt'))
  assert.match(refused[0]?.type === 'refused' ? refused[0].reason : '', /does not cover bad\.test/)
  assert.equal(await handshake(port, 'bad.test'), 'DNS:localhost')
  assert.equal(events.filter((e) => e.type === 'refused').length, 1, 'refused once')

  // Fixed on disk: picked up without a restart.
  writePair(dir, 'bad.test', await issue(ca, ['bad.test']))
  await folder.scan()
  assert.equal(await handshake(port, 'bad.test'), 'DNS:bad.test')
})

test('certificate folder: before the folder is listed, a handshake finds its pair by name (exact, then wildcard); absent names fall through', async (t) => {
  const dir = tempDir(t, 'gatehouse-certdir')
  const ca = await LocalCa.load(new MemoryStorage())
  writePair(dir, 'app.test', await issue(ca, ['app.test']))
  writePair(dir, '_wildcard.w.test', await issue(ca, ['*.w.test']))
  writePair(dir, 'x.w.test', await issue(ca, ['x.w.test']))
  writePair(dir, 'bad.test', await issue(ca, ['other.test']))
  const events: FolderEvent[] = []
  const cache = new CertificateCache()
  // Never scanned: what a server sees while a listing of 100k files is still being indexed.
  const folder = new CertificateFolder({ dir, cache, onEvent: (e) => events.push(e) })
  t.after(() => folder.close())
  const port = await serveFolderCache(t, cache, ca)

  assert.equal(await handshake(port, 'APP.test.'), 'DNS:app.test')
  assert.equal(
    await handshake(port, 'x.w.test'),
    'DNS:x.w.test',
    'an exact pair beats the wildcard',
  )
  assert.equal(
    await handshake(port, 'api.w.test'),
    'DNS:*.w.test',
    'no api.w.test pair: the wildcard',
  )
  assert.equal(await handshake(port, 'nothing.test'), 'DNS:localhost', 'not in the folder')
  assert.equal(await handshake(port, '../app.test'), 'DNS:localhost', 'no path out of the folder')
  assert.equal(await handshake(port, 'bad.test'), 'DNS:localhost', 'a bad pair is refused')
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.name}`),
    ['loaded app.test', 'loaded x.w.test', 'loaded *.w.test', 'refused bad.test'],
  )
  // A name found missing is remembered until the listing: no file-system calls for it meanwhile,
  // so a pair put in place in between is served once the listing has seen it.
  assert.equal(await handshake(port, 'late.test'), 'DNS:localhost')
  writePair(dir, 'late.test', await issue(ca, ['late.test']))
  assert.equal(await handshake(port, 'late.test'), 'DNS:localhost', 'remembered as missing')
  // The listing then indexes the rest without reading again what was read.
  await folder.scan()
  assert.equal(await handshake(port, 'late.test'), 'DNS:late.test', 'the listing found it')
  assert.equal(cache.mayHavePending, false, 'listed: no more lookups by file name')
  assert.equal(await handshake(port, 'app.test'), 'DNS:app.test')
  assert.equal(await handshake(port, 'nothing.test'), 'DNS:localhost')
  assert.equal(events.length, 5)
  assert.equal(events[4]?.type === 'loaded' && events[4].name, 'late.test')
})
