import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PassiveHealth } from './passive-health.js'

const limits = { maxFails: 3, failWindowMs: 10_000, ejectMs: 30_000 }

test('maxFails failures within the window eject for ejectMs, then the upstream is back', () => {
  const health = new PassiveHealth(limits)
  assert.equal(health.fail(1000), false)
  assert.equal(health.fail(2000), false)
  assert.equal(health.isEjected(2000), false)
  assert.equal(health.fail(3000), true)
  assert.equal(health.isEjected(3000), true)
  assert.equal(health.ejectedUntil(3000), 33_000)
  assert.equal(health.isEjected(32_999), true)
  assert.equal(health.isEjected(33_000), false)
  assert.equal(health.ejectedUntil(33_000), undefined)
  // Back with a clean record: it takes maxFails new failures to eject again.
  assert.equal(health.fail(33_001), false)
  assert.equal(health.fail(33_002), false)
  assert.equal(health.fail(33_003), true)
})

test('failures older than the window do not count', () => {
  const health = new PassiveHealth(limits)
  health.fail(0)
  health.fail(5000)
  assert.equal(health.fail(10_000), false, 'the failure at 0 left the window')
  assert.equal(health.fail(14_000), true)
})

test('a success between failures resets the count', () => {
  const health = new PassiveHealth(limits)
  health.fail(1)
  health.fail(2)
  health.succeed()
  assert.equal(health.fail(3), false)
  assert.equal(health.fail(4), false)
  assert.equal(health.fail(5), true)
})

test('failures while ejected do not extend the ejection', () => {
  const health = new PassiveHealth(limits)
  health.fail(0)
  health.fail(0)
  health.fail(0)
  for (let t = 1; t < 5; t++) assert.equal(health.fail(t * 1000), false)
  assert.equal(health.isEjected(30_000), false)
})

test('maxFails 0 turns passive health off', () => {
  const health = new PassiveHealth({ ...limits, maxFails: 0 })
  for (let t = 0; t < 100; t++) assert.equal(health.fail(t), false)
  assert.equal(health.isEjected(100), false)
})
