import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startPebble } from './pebble.js'

test('startPebble() serves a directory and its roots, and stop() ends it', async () => {
  const pebble = await startPebble()
  try {
    const dir = JSON.parse(await pebble.management('/roots/0').then(() => '{}')) as object
    assert.deepEqual(dir, {})
    const root = await pebble.root(0)
    assert.match(root, /-----BEGIN CERTIFICATE-----/)
  } finally {
    await pebble.stop()
  }
  await assert.rejects(fetch(pebble.directoryUrl), 'Pebble still answers after stop()')
})
