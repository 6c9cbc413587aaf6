import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPebble } from '../helpers/pebble.js'
import { curl } from '../helpers/curl.js'
import { spawnGatehouse } from '../helpers/gatehouse-process.js'
import { startUpstream } from '../helpers/upstream.js'
import { openWebSocket } from '../helpers/wss-client.js'

const HOST = 'app.example.test'

test('gatehouse reverse-proxy with real Pebble: the upstream over HTTPS, WebSocket, 413 above --max-body, HTTP redirect, SIGTERM exits 0', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const upstream = await startUpstream('app')
  t.after(() => upstream.close())
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-rp-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const port = pebble.tlsPort
  const gh = spawnGatehouse([
    'reverse-proxy',
    '--from',
    `${HOST}:${port}`,
    '--to',
    `127.0.0.1:${upstream.port}`,
    '--acme-directory',
    pebble.directoryUrl,
    '--acme-ca-cert',
    pebble.listenerCaFile,
    '--email',
    'ops@example.org',
    '--http-port',
    String(pebble.httpPort),
    '--home',
    home,
    '--max-body',
    '1KB',
    '--header-down',
    '+X-Served-By gatehouse',
  ])
  t.after(() => gh.stop('SIGKILL'))
  await gh.waitForLog((l) => l.msg === 'listening')
  const root = await pebble.rootFile(0)
  const tls = ['--resolve', `${HOST}:${port}:127.0.0.1`, '--cacert', root]

  // The first handshake waits while the certificate is obtained from Pebble over TLS-ALPN-01/HTTP-01.
  const page = await curl([...tls, '-D', '-', `https://${HOST}:${port}/hello?x=1`], 30)
  assert.equal(page.code, 0, `curl accepts the certificate against Pebble's root: ${gh.stderr()}`)
  assert.match(page.stdout, /^x-served-by: gatehouse\r$/m)
  assert.match(page.stdout, /\r\n\r\napp GET \/hello\?x=1\n$/)
  assert.equal(upstream.requests.at(-1)?.headers['x-forwarded-proto'], 'https')
  await gh.waitForLog((l) => l.msg === 'certificate obtained' && l.name === HOST)

  const ws = await openWebSocket(HOST, port, '/ws', readFileSync(root, 'utf8'))
  assert.equal(await ws.echo('ping'), 'app: ping')
  ws.ws.close()

  const big = join(home, 'big.bin')
  writeFileSync(big, Buffer.alloc(2000, 'x'))
  const tooBig = await curl([
    ...tls,
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--data-binary',
    `@${big}`,
    `https://${HOST}:${port}/upload`,
  ])
  assert.equal(tooBig.stdout, '413')
  const small = await curl([...tls, '--data-binary', 'ok', `https://${HOST}:${port}/upload`])
  assert.equal(small.stdout, 'app POST /upload\n')

  const redirect = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{redirect_url}',
    '-H',
    `Host: ${HOST}`,
    `http://127.0.0.1:${pebble.httpPort}/a?b=c`,
  ])
  assert.equal(redirect.stdout, `301 https://${HOST}:${port}/a?b=c`)
  assert.equal(readFileSync(join(home, 'gatehouse.pid'), 'utf8').trim(), String(gh.pid))

  // The access log: one JSON line per request on stdout.
  const access = gh
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.ok(
    access.some((e) => e.status === 413),
    gh.stdout(),
  )

  assert.equal(await gh.stop('SIGTERM'), 0)
  assert.throws(
    () => readFileSync(join(home, 'gatehouse.pid')),
    /ENOENT/,
    'pid file removed at exit',
  )
})

test('gatehouse reverse-proxy: bad flags are refused before anything starts, naming the flag (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['--from', 'a.test'], /give --to UPSTREAM/],
    [
      ['--from', 'a.test', '--to', '127.0.0.1:1', '--max-body', 'lots'],
      /--max-body: "lots" is not a size/,
    ],
    [['--from', 'a_b.test', '--to', '127.0.0.1:1'], /--from: invalid name "a_b\.test"/],
    [['--from', 'a.test', '--to', 'ftp://x'], /--to: upstream "ftp:\/\/x" has scheme ftp:/],
    [
      ['--from', 'a.test', '--to', '127.0.0.1:1', '--tls-cert', 'c.pem'],
      /give --tls-cert and --tls-key together/,
    ],
  ]
  for (const [args, message] of cases) {
    const run = spawnGatehouse(['reverse-proxy', ...args])
    assert.equal(await run.exited, 2, args.join(' '))
    assert.match(run.stderr(), message)
  }
})
