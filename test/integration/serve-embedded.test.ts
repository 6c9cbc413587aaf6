import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGatehouse } from '../../src/serve/start-gatehouse.js'
import { silentLogger } from '../../src/logger.js'
import { curl } from '../helpers/curl.js'
import { spawnGatehouse } from '../helpers/gatehouse-process.js'
import { testConfig } from '../helpers/gatehouse-config.js'

const noProxy = (): never => {
  throw new Error('the embedded default builds no proxy')
}

test('embedded default: the status page over HTTPS with a local-CA certificate curl accepts, health, HTTP redirect', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-serve-embedded-'))
  const gh = await startGatehouse(testConfig(home), {
    logger: silentLogger,
    createGateway: noProxy,
  })
  t.after(() => gh.close())
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const port = gh.httpsPort ?? 0
  const tls = [
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '--cacert',
    join(home, 'local-ca/root.crt'),
  ]
  const page = await curl([
    ...tls,
    '-w',
    '\n%{http_code} %{content_type}',
    `https://localhost:${port}/`,
  ])
  assert.equal(page.code, 0, 'curl verifies the certificate against the local CA root')
  assert.match(page.stdout, /<h1>Gatehouse is running<\/h1>/)
  assert.match(page.stdout, /<td>localhost<\/td><td>Gatehouse[^<]*<\/td><td>local-ca<\/td>/)
  assert.match(page.stdout, /\n200 text\/html; charset=utf-8$/)
  const h1 = await curl([...tls, '--http1.1', `https://localhost:${port}/.gatehouse/health`])
  assert.deepEqual(h1, { code: 0, stdout: '{"status":"ok"}\n' })
  const h2 = await curl([
    ...tls,
    '--http2',
    '-w',
    ' %{http_version}',
    `https://localhost:${port}/.gatehouse/health?x`,
  ])
  assert.deepEqual(h2, { code: 0, stdout: '{"status":"ok"}\n 2' })
  const redirect = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{redirect_url}',
    '-H',
    'Host: localhost',
    `http://127.0.0.1:${gh.httpPort}/x?y`,
  ])
  assert.equal(redirect.stdout, `301 https://localhost:${port}/x?y`)
  const status = gh.status()
  assert.deepEqual(status.managedNames, ['localhost'])
  assert.equal(status.certificates.find((c) => c.names.includes('localhost'))?.source, 'local-ca')
})

test('`gatehouse serve` with no configuration file starts the embedded default', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-serve-nofile-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // Ports 8443/8080 by default; any free ones here, so tests can run side by side.
  const gh = spawnGatehouse(
    ['serve'],
    { GATEHOUSE_HOME: join(dir, 'home'), GATEHOUSE_HTTPS_PORT: '0', GATEHOUSE_HTTP_PORT: '0' },
    dir,
  )
  t.after(() => gh.stop('SIGKILL'))
  const listening = await gh.waitForLog((l) => l.msg === 'listening')
  assert.equal(listening.config, 'embedded default')
  assert.deepEqual(listening.names, ['localhost'])
  const port = Number(listening.https)
  const page = await curl([
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '--cacert',
    join(dir, 'home/local-ca/root.crt'),
    `https://localhost:${port}/`,
  ])
  assert.equal(page.code, 0)
  assert.match(page.stdout, /Gatehouse is running/)
  assert.equal(await gh.stop('SIGINT'), 0)
})

test('the health endpoint answers on plain HTTP (GET and HEAD, any host); everything else redirects', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-serve-health-'))
  const config = testConfig(home)
  const gh = await startGatehouse(
    { ...config, server: { ...config.server, healthPath: '/healthz' } },
    { logger: silentLogger, createGateway: noProxy },
  )
  t.after(() => gh.close())
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const http = `http://127.0.0.1:${gh.httpPort}`
  // -i: the whole answer, so a Location header would show.
  const get = await curl(['-i', '-H', 'Host: localhost', `${http}/healthz?probe=1`])
  assert.equal(get.code, 0)
  assert.match(get.stdout, /^HTTP\/1\.1 200 OK\r\n/)
  assert.match(get.stdout, /\r\ncontent-type: application\/json\r\n/i)
  assert.match(get.stdout, /\r\ncache-control: no-store\r\n/i)
  assert.doesNotMatch(get.stdout, /\r\nlocation:/i)
  assert.ok(get.stdout.endsWith('\r\n\r\n{"status":"ok"}\n'), get.stdout)
  // No Host at all (HTTP/1.0, a bare TCP check) and a host no site serves: still answered.
  const bare = await curl(['-0', '-H', 'Host:', '-w', ' %{http_code}', `${http}/healthz`])
  assert.deepEqual(bare, { code: 0, stdout: '{"status":"ok"}\n 200' })
  const unknown = await curl(['-H', 'Host: nobody.test', '-w', ' %{http_code}', `${http}/healthz`])
  assert.deepEqual(unknown, { code: 0, stdout: '{"status":"ok"}\n 200' })
  const head = await curl(['-I', '-H', 'Host: localhost', `${http}/healthz`])
  assert.match(head.stdout, /^HTTP\/1\.1 200 OK\r\n/)
  assert.match(head.stdout, /\r\ncontent-length: 16\r\n/i)
  const answer = (args: string[]): Promise<string> =>
    curl(['-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', ...args]).then((r) => r.stdout)
  const port = gh.httpsPort ?? 0
  // Other methods on the health path, and other paths, keep redirecting to HTTPS.
  assert.equal(
    await answer(['-X', 'POST', '-H', 'Host: localhost', `${http}/healthz`]),
    `308 https://localhost:${port}/healthz`,
  )
  assert.equal(
    await answer(['-H', 'Host: localhost', `${http}/healthz/x`]),
    `301 https://localhost:${port}/healthz/x`,
  )
  assert.equal(
    await answer(['-H', 'Host: localhost', `${http}/.gatehouse/health`]),
    `301 https://localhost:${port}/.gatehouse/health`,
  )
})
