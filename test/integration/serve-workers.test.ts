import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPebble } from '../helpers/pebble.js'
import { startAcmeFront } from '../helpers/acme-front.js'
import { curl } from '../helpers/curl.js'
import { spawnGatehouse } from '../helpers/gatehouse-process.js'
import { startUpstream } from '../helpers/upstream.js'

const HOST = 'shop.example.org'

test('--workers 2: one certificate obtained once from Pebble, served by both workers', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const front = await startAcmeFront(pebble)
  t.after(() => front.close())
  const upstream = await startUpstream('shop')
  t.after(() => upstream.close())
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const file = join(home, 'gatehouse.toml')
  writeFileSync(
    file,
    [
      `home = ${JSON.stringify(home)}`,
      '[https]',
      'host = "127.0.0.1"',
      `port = ${pebble.tlsPort}`,
      '[http]',
      'host = "127.0.0.1"',
      `port = ${pebble.httpPort}`,
      '[tls]',
      `acme_directory = "${front.directoryUrl}"`,
      `acme_ca_cert = ${JSON.stringify(pebble.listenerCaFile)}`,
      'email = "ops@example.org"',
      '[server]',
      'workers = 2',
      '[[site]]',
      `hosts = ["${HOST}"]`,
      '[[site.route]]',
      'path = "/"',
      `proxy = "127.0.0.1:${upstream.port}"`,
      '',
    ].join('\n'),
  )
  const gh = spawnGatehouse(['serve', '--config', file])
  t.after(() => gh.stop('SIGKILL'))
  await gh.waitForLog((l) => l.msg === 'listening' && l.worker === 1)
  await gh.waitForLog((l) => l.msg === 'listening' && l.worker === 2)
  const root = await pebble.rootFile(0)
  const results = []
  for (let i = 0; i < 8; i++) {
    // A new connection each time: node:cluster hands connections to the workers in turn.
    results.push(
      await curl(
        [
          '--resolve',
          `${HOST}:${pebble.tlsPort}:127.0.0.1`,
          '--cacert',
          root,
          `https://${HOST}:${pebble.tlsPort}/n${i}`,
        ],
        30,
      ),
    )
  }
  for (const [i, r] of results.entries())
    assert.deepEqual(r, { code: 0, stdout: `shop GET /n${i}\n` }, gh.stderr())
  const workers = new Set(
    gh
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { worker?: number }).worker),
  )
  assert.deepEqual([...workers].sort(), [1, 2], 'both workers answered')
  assert.equal(front.count('new-order'), 1, 'one order for the two workers')
  assert.equal(front.count('finalize'), 1)
  // SIGHUP to the primary reaches every worker.
  gh.child.kill('SIGHUP')
  await gh.waitForLog((l) => l.msg === 'reloaded' && l.worker === 1)
  await gh.waitForLog((l) => l.msg === 'reloaded' && l.worker === 2)
  assert.equal(await gh.stop('SIGTERM'), 0, gh.stderr())
  assert.equal(
    gh.logs().filter((l) => l.msg === 'stopped').length,
    2,
    'each worker drained and stopped',
  )
})
