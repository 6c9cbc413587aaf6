import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../test/helpers/ports.js'
import { startWebrootServer } from './webroot-server.js'

test('serves challenge files from the webroot and nothing else', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-webroot-test-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, '.well-known', 'acme-challenge'), { recursive: true })
  writeFileSync(join(root, '.well-known', 'acme-challenge', 'tok_EN-1'), 'tok_EN-1.thumb')
  writeFileSync(join(root, 'secret'), 'no')
  const port = await freePort()
  const server = await startWebrootServer(root, '127.0.0.1', port)
  t.after(() => server.close())
  const get = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${port}${path}`)

  const ok = await get('/.well-known/acme-challenge/tok_EN-1')
  assert.equal(ok.status, 200)
  assert.equal(await ok.text(), 'tok_EN-1.thumb')
  assert.equal((await get('/.well-known/acme-challenge/missing')).status, 404)
  assert.equal((await get('/.well-known/acme-challenge/..%2F..%2Fsecret')).status, 404)
  assert.equal((await get('/secret')).status, 404)
})
