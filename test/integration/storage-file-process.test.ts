import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { FileStorage } from '../../src/storage/index.js'
import { spawnPeer, waitUntil, type Peer } from '../helpers/process.js'

/** The compiled module the children import: build/src/storage/index.js. */
const MODULE = fileURLToPath(new URL('../../src/storage/index.js', import.meta.url))
const CHILDREN = 4
const INCREMENTS_PER_CHILD = 8

/**
 * Each child increments a counter non-atomically (read, sleep 20 ms, write) `count` times, under the
 * lock unless `LOCKED=0`, and prints the fencing token of each acquisition.
 */
const INCREMENTER = `
const { FileStorage } = await import(process.env.MODULE)
const s = new FileStorage({ root: process.env.ROOT })
const locked = process.env.LOCKED === '1'
for (let i = 0; i < Number(process.env.COUNT); i++) {
  const lock = locked ? await s.lock('counter', { ttlMs: 10000, waitMs: 60000 }) : undefined
  const value = Number(Buffer.from((await s.get('count')) ?? '0').toString())
  await new Promise((r) => setTimeout(r, 20))
  await s.put('count', String(value + 1))
  if (lock) console.log('token', lock.token)
  await lock?.release()
}
`

/** Takes a lock with a short lease, says so, and then never renews nor releases it (it gets killed). */
const HOLDER = `
const { FileStorage } = await import(process.env.MODULE)
const s = new FileStorage({ root: process.env.ROOT })
const lock = await s.lock('held', { ttlMs: Number(process.env.TTL) })
console.log('locked', lock.token)
setInterval(() => {}, 1000)
`

function child(source: string, env: Record<string, string>): Peer {
  return spawnPeer(process.execPath, ['--input-type=module', '-e', source], {
    env: { ...process.env, MODULE, ...env },
  })
}

async function exited(peer: Peer, timeoutMs: number): Promise<number | null> {
  await waitUntil(
    'child exit',
    async () => peer.child.exitCode !== null || peer.child.signalCode !== null,
    timeoutMs,
    () => peer.output(),
  )
  return peer.child.exitCode
}

async function runIncrementers(root: string, locked: boolean): Promise<Peer[]> {
  const env = { ROOT: root, COUNT: String(INCREMENTS_PER_CHILD), LOCKED: locked ? '1' : '0' }
  const peers = Array.from({ length: CHILDREN }, () => child(INCREMENTER, env))
  try {
    for (const peer of peers) assert.equal(await exited(peer, 60_000), 0, peer.output())
    return peers
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()))
  }
}

test('cross-process: children incrementing under the lock lose no update', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-procs-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const peers = await runIncrementers(root, true)
  const total = CHILDREN * INCREMENTS_PER_CHILD
  const count = await new FileStorage({ root }).get('count')
  assert.equal(Buffer.from(count ?? []).toString(), String(total))
  const tokens = peers.flatMap((p) => [...p.output().matchAll(/token (\d+)/g)].map((m) => m[1]))
  assert.equal(tokens.length, total)
  assert.equal(new Set(tokens).size, total, 'every acquisition has its own fencing token')
})

test('cross-process control: the same children without the lock do lose updates', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-procs-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  await runIncrementers(root, false)
  const count = Number(Buffer.from((await new FileStorage({ root }).get('count')) ?? []).toString())
  assert.ok(count < CHILDREN * INCREMENTS_PER_CHILD, `expected lost updates, got ${count}`)
})

test('cross-process: a holder killed with SIGKILL loses the lock after its lease', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-procs-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const ttlMs = 1_000
  const holder = child(HOLDER, { ROOT: root, TTL: String(ttlMs) })
  t.after(() => holder.stop())
  await waitUntil(
    'holder locked',
    async () => /locked \d+/.test(holder.output()),
    15_000,
    () => holder.output(),
  )
  const held = Number(/locked (\d+)/.exec(holder.output())?.[1])
  const lockedAt = Date.now()
  holder.child.kill('SIGKILL')
  await exited(holder, 5_000)
  assert.equal(holder.child.signalCode, 'SIGKILL')

  const s = new FileStorage({ root })
  assert.equal(await s.tryLock('held'), undefined, 'the dead holder still has its lease')
  const lock = await s.lock('held', { waitMs: 10_000 })
  const waited = Date.now() - lockedAt
  try {
    assert.ok(lock.token > held, `token ${lock.token} must exceed the dead holder's ${held}`)
    // Freed by expiry, not earlier, and not much later than the lease plus the poll interval.
    assert.ok(waited >= ttlMs / 2, `took over after ${waited} ms`)
    assert.ok(waited < ttlMs + 2_000, `took over after ${waited} ms`)
  } finally {
    await lock.release()
  }
})
