import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileStorage } from '../../src/storage/index.js'

async function tempRoot(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'gatehouse-file-'))
  t.after(() => rm(parent, { recursive: true, force: true }))
  return parent
}

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

test('files are 0600 when private and 0644 otherwise; folders and locks are 0700/0600', async (t) => {
  const parent = await tempRoot(t)
  const root = join(parent, 'store')
  const s = new FileStorage({ root })
  await s.put('accounts/ca/key.pem', 'secret', { private: true })
  await s.put('certificates/example.com/cert.pem', 'public')
  assert.equal(await modeOf(join(root, 'accounts/ca/key.pem')), 0o600)
  assert.equal(await modeOf(join(root, 'certificates/example.com/cert.pem')), 0o644)
  for (const folder of ['', 'accounts', 'accounts/ca', 'certificates/example.com']) {
    assert.equal(await modeOf(join(root, folder)), 0o700, `folder "${folder}"`)
  }
  // Replacing a private value with a public one, and back, follows the latest put.
  await s.put('accounts/ca/key.pem', 'now public')
  assert.equal(await modeOf(join(root, 'accounts/ca/key.pem')), 0o644)
  await s.put('accounts/ca/key.pem', 'secret again', { private: true })
  assert.equal(await modeOf(join(root, 'accounts/ca/key.pem')), 0o600)

  const lock = await s.lock('Issue example.com')
  try {
    const folder = join(root, 'locks', 'issue_example.com')
    assert.equal(await modeOf(join(root, 'locks')), 0o700)
    assert.equal(await modeOf(folder), 0o700)
    assert.deepEqual(await readdir(folder), [`${lock.token}.lease`])
    assert.equal(await modeOf(join(folder, `${lock.token}.lease`)), 0o600)
  } finally {
    await lock.release()
  }
  assert.deepEqual(await s.list(''), ['accounts', 'certificates'], 'the locks folder is not a key')
  await assert.rejects(s.put('locks/x', 'x'), TypeError)
})

test('a crash mid-write leaves the old value; stray temporary files are ignored', async (t) => {
  const root = join(await tempRoot(t), 'store')
  const s = new FileStorage({ root })
  await s.put('certs/a.pem', 'old value')
  // What a crash between write and rename leaves behind: a half-written temporary file.
  const stray = join(root, 'certs', 'a.pem.tmp-0123456789abcdef')
  await writeFile(stray, 'half-writ')
  assert.equal(Buffer.from((await s.get('certs/a.pem')) ?? []).toString(), 'old value')
  assert.deepEqual(await s.list('certs'), ['certs/a.pem'])
  assert.deepEqual(await s.list('', { recursive: true }), ['certs/a.pem'])
  await assert.rejects(s.get('certs/a.pem.tmp-0123456789abcdef'), TypeError)
  // A later put still works and leaves no temporary file of its own.
  await s.put('certs/a.pem', 'new value')
  assert.deepEqual(await readdir(join(root, 'certs')), ['a.pem', 'a.pem.tmp-0123456789abcdef'])
})

test('path traversal through keys is a TypeError and writes nothing outside the root', async (t) => {
  const parent = await tempRoot(t)
  const s = new FileStorage({ root: join(parent, 'store') })
  await s.put('inside', 'ok')
  const attempts = [
    '../escape',
    'a/../../escape',
    'a/../../../../tmp/escape',
    '/tmp/escape',
    '..\\escape',
    'a/..',
    'escape\0.txt',
  ]
  for (const key of attempts) {
    await assert.rejects(s.put(key, 'pwned'), TypeError, JSON.stringify(key))
    await assert.rejects(s.delete(key), TypeError, JSON.stringify(key))
  }
  assert.deepEqual(await readdir(parent), ['store'])
  assert.deepEqual(await readdir(join(parent, 'store')), ['inside'])
})

test('deleting the last key below a folder removes the empty folders up to the root', async (t) => {
  const root = join(await tempRoot(t), 'store')
  const s = new FileStorage({ root })
  await s.put('a/b/c/d', 'x')
  await s.put('keep', 'x')
  await s.delete('a/b/c/d')
  assert.deepEqual(await readdir(root), ['keep'])
  assert.deepEqual(await s.list(''), ['keep'])
})

test('file-system failures are ERR_STORAGE naming the path', async (t) => {
  const parent = await tempRoot(t)
  const notAFolder = join(parent, 'file')
  await writeFile(notAFolder, 'x')
  const s = new FileStorage({ root: notAFolder })
  await assert.rejects(s.put('k', 'v'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_STORAGE')
    assert.ok(err.message.includes(join(notAFolder, 'k')), err.message)
    return true
  })
  await assert.rejects(s.lock('l', { waitMs: 0 }), { code: 'ERR_STORAGE' })
  assert.throws(() => new FileStorage({ root: '' }), TypeError)
})

test('racing takers of one stale lease: exactly one wins, and the stalled holder has lost it', async (t) => {
  const root = join(await tempRoot(t), 'store')
  const stalled = new FileStorage({ root, autoRenew: false })
  const old = await stalled.lock('stale', { ttlMs: 200 })
  await new Promise((r) => setTimeout(r, 250))
  const takers = Array.from({ length: 12 }, () => new FileStorage({ root }))
  const results = await Promise.all(takers.map((s) => s.tryLock('stale', { ttlMs: 10_000 })))
  const winners = results.filter((lock) => lock !== undefined)
  assert.equal(winners.length, 1, 'exactly one taker wins')
  const winner = winners[0]!
  assert.equal(winner.token, old.token + 1)
  await assert.rejects(old.renew(), { code: 'ERR_LOCKED' })
  await old.release()
  assert.equal(await stalled.tryLock('stale'), undefined, 'the stale release freed nothing')
  await winner.release()
  const next = await stalled.tryLock('stale')
  assert.equal(next?.token, winner.token + 1, 'tokens continue from the lease files')
  await next?.release()
  assert.deepEqual(await readdir(join(root, 'locks', 'stale')), [`${winner.token + 1}.lease`])
})
