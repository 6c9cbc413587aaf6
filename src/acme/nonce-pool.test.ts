import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_NONCE_FETCHES, MAX_POOLED_NONCES, NoncePool } from './nonce-pool.js'

test('uses pooled nonces newest first and refills only when empty', async () => {
  let refills = 0
  const pool: NoncePool = new NoncePool(async () => {
    refills++
    pool.add(`fresh${refills}`)
  })
  pool.add('a')
  pool.add('b')
  pool.add('not a nonce!')
  pool.add(undefined)
  assert.equal(pool.size, 2)
  assert.equal(await pool.take(), 'b')
  assert.equal(await pool.take(), 'a')
  assert.equal(refills, 0)
  assert.equal(await pool.take(), 'fresh1')
  assert.equal(refills, 1)
})

test('keeps at most MAX_POOLED_NONCES, dropping the oldest', async () => {
  const pool = new NoncePool(async () => {})
  for (let i = 0; i < MAX_POOLED_NONCES + 5; i++) pool.add(`n${i}`)
  assert.equal(pool.size, MAX_POOLED_NONCES)
  const taken: string[] = []
  for (let i = 0; i < MAX_POOLED_NONCES; i++) taken.push(await pool.take())
  assert.ok(!taken.includes('n0') && taken.includes(`n${MAX_POOLED_NONCES + 4}`))
})

test('a server that never sends a nonce is ERR_ACME_PROTOCOL after a bounded number of tries', async () => {
  let refills = 0
  const pool = new NoncePool(async () => {
    refills++
  })
  await assert.rejects(pool.take(), { code: 'ERR_ACME_PROTOCOL', message: /Replay-Nonce/ })
  assert.equal(refills, MAX_NONCE_FETCHES)
})
