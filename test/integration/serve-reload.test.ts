import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { curl } from '../helpers/curl.js'
import { spawnGatehouse } from '../helpers/gatehouse-process.js'
import { startUpstream } from '../helpers/upstream.js'
import { openWebSocket } from '../helpers/wss-client.js'

const HOST = 'chat.test'

function toml(home: string, routes: Record<string, number>): string {
  return [
    `home = ${JSON.stringify(home)}`,
    '[https]',
    'host = "127.0.0.1"',
    'port = 0',
    '[http]',
    'port = -1',
    '[server]',
    'drain_timeout = "5s"',
    '[log]',
    'access_log = "off"',
    '[[site]]',
    `hosts = ["${HOST}"]`,
    ...Object.entries(routes).flatMap(([path, port]) => [
      '[[site.route]]',
      `path = "${path}"`,
      `proxy = "127.0.0.1:${port}"`,
    ]),
    '',
  ].join('\n')
}

test('reload keeps a WebSocket on an untouched route open while a changed route takes its new upstream; a bad file keeps the running config; SIGTERM drains a slow request and exits 0', async (t) => {
  const [ws1, api1, api2, slow] = await Promise.all([
    startUpstream('ws'),
    startUpstream('api-one'),
    startUpstream('api-two'),
    startUpstream('slow', { delayMs: 1500 }),
  ])
  t.after(() => Promise.all([ws1, api1, api2, slow].map((u) => u.close())))
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-reload-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const file = join(home, 'gatehouse.toml')
  writeFileSync(file, toml(home, { '/ws': ws1.port, '/api': api1.port, '/slow': slow.port }))
  const gh = spawnGatehouse(['serve', '--config', file])
  t.after(() => gh.stop('SIGKILL'))
  const listening = await gh.waitForLog((l) => l.msg === 'listening')
  const port = Number(listening.https)
  const root = join(home, 'local-ca/root.crt')
  const get = (path: string): Promise<string> =>
    curl([
      '--resolve',
      `${HOST}:${port}:127.0.0.1`,
      '--cacert',
      root,
      `https://${HOST}:${port}${path}`,
    ]).then((r) => r.stdout)

  assert.equal(await get('/api/x'), 'api-one GET /api/x\n')
  const ws = await openWebSocket(HOST, port, '/ws', readFileSync(root, 'utf8'))
  assert.equal(await ws.echo('before'), 'ws: before')

  writeFileSync(file, toml(home, { '/ws': ws1.port, '/api': api2.port, '/slow': slow.port }))
  const reload = spawnGatehouse(['reload', '--home', home])
  assert.equal(await reload.exited, 0, reload.stderr())
  await gh.waitForLog((l) => l.msg === 'reloaded')
  assert.equal(
    await get('/api/x'),
    'api-two GET /api/x\n',
    'the changed route has its new upstream',
  )
  assert.equal(await ws.echo('after'), 'ws: after', 'the WebSocket on the untouched route is open')

  writeFileSync(file, `${toml(home, { '/api': api1.port })}\n[[site]]\nhots = ["typo.test"]\n`)
  gh.child.kill('SIGHUP')
  const failed = await gh.waitForLog(
    (l) => l.msg === 'reload failed; keeping the running configuration',
  )
  assert.match(String(failed.error), /hots/)
  assert.equal(
    await get('/api/x'),
    'api-two GET /api/x\n',
    'a bad file leaves the running configuration',
  )
  assert.equal(await ws.echo('still'), 'ws: still')

  // SIGTERM while a request is in flight: it finishes, then the process exits 0.
  const inFlight = get('/slow')
  await new Promise((r) => setTimeout(r, 400))
  const started = Date.now()
  const code = await gh.stop('SIGTERM')
  assert.equal(await inFlight, 'slow GET /slow\n')
  assert.equal(code, 0, gh.stderr())
  assert.ok(Date.now() - started < 5000, 'the drain ended when the request did, not at the timeout')
  assert.ok(gh.logs().some((l) => l.msg === 'draining'))
  const late = spawnGatehouse(['reload', '--home', home])
  assert.equal(await late.exited, 1, 'nothing to reload once the server is gone')
  assert.match(late.stderr(), /gatehouse serve is not running with this home folder/)
})
