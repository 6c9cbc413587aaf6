import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { createServer } from '../../src/server/create-server.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { startPebble } from '../helpers/pebble.js'
import { curl } from '../helpers/curl.js'
import { tempDir } from '../helpers/temp-dir.js'

const app = (req: { url?: string | undefined }, res: { end(s: string): void }): void =>
  res.end(`app ${req.url}`)

test('createServer(): local names get local-CA certificates; no SNI gets the default; the folder and explicit files win', async (t) => {
  const home = tempDir(t, 'gatehouse-create')
  const server = await createServer(
    {
      domains: ['app.localhost', 'api.test'],
      home,
      https: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  const port = server.httpsPort ?? 0
  const root = join(home, 'local-ca', 'root.crt')
  const get = (name: string, cacert = root): Promise<{ code: number; stdout: string }> =>
    curl([
      '--resolve',
      `${name}:${port}:127.0.0.1`,
      '--cacert',
      cacert,
      `https://${name}:${port}/p?q=1`,
    ])

  assert.deepEqual(await get('app.localhost'), { code: 0, stdout: 'app /p?q=1' })
  assert.deepEqual(await get('api.test'), { code: 0, stdout: 'app /p?q=1' })
  const ip = await curl(['--cacert', root, `https://127.0.0.1:${port}/`])
  assert.deepEqual(
    ip,
    { code: 0, stdout: 'app /' },
    'a client with no SNI gets the default certificate',
  )
  assert.equal(
    (await get('unknown.localhost')).code,
    60,
    'an unknown name gets the default certificate, which does not cover it',
  )

  // A certificate dropped into the certificate folder overrides the managed one, without a restart.
  const other = await LocalCa.load(new MemoryStorage())
  const otherRoot = join(home, 'other-root.pem')
  writeFileSync(otherRoot, other.rootCertificatePem)
  const issued = await other.issue(['app.localhost'])
  mkdirSync(join(home, 'certificates'), { recursive: true })
  writeFileSync(join(home, 'certificates', 'app.localhost.key'), issued.privateKeyPem)
  writeFileSync(join(home, 'certificates', 'app.localhost.crt'), issued.leafPem + issued.chainPem)
  let served = await get('app.localhost', otherRoot)
  for (let i = 0; i < 60 && served.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100))
    served = await get('app.localhost', otherRoot)
  }
  assert.equal(served.code, 0, 'the folder certificate is served')
  assert.equal(
    (await get('api.test', otherRoot)).code,
    60,
    'other names keep their managed certificate',
  )
})

test('createServer(): explicit certificate files come first; a key that does not match is refused', async (t) => {
  const home = tempDir(t, 'gatehouse-create')
  const ca = await LocalCa.load(new MemoryStorage())
  const issued = await ca.issue(['app.localhost'])
  const wrong = await ca.issue(['x.localhost'])
  writeFileSync(join(home, 'c.pem'), issued.leafPem + issued.chainPem)
  writeFileSync(join(home, 'k.pem'), issued.privateKeyPem)
  writeFileSync(join(home, 'wrong.pem'), wrong.privateKeyPem)
  writeFileSync(join(home, 'root.pem'), ca.rootCertificatePem)
  await assert.rejects(
    createServer(
      {
        domains: ['app.localhost'],
        home,
        tlsFiles: [{ cert: join(home, 'c.pem'), key: join(home, 'wrong.pem') }],
      },
      app,
    ),
    {
      code: 'ERR_CERTIFICATE',
      message: new RegExp(`${join(home, 'wrong.pem')} is not the key of ${join(home, 'c.pem')}`),
    },
  )
  const server = await createServer(
    {
      domains: ['app.localhost'],
      home,
      tlsFiles: [{ cert: join(home, 'c.pem'), key: join(home, 'k.pem') }],
      https: { host: '127.0.0.1', port: 0 },
      http: { port: -1 },
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  const r = await curl([
    '--resolve',
    `app.localhost:${server.httpsPort}:127.0.0.1`,
    '--cacert',
    join(home, 'root.pem'),
    `https://app.localhost:${server.httpsPort}/`,
  ])
  assert.equal(r.code, 0)
})

test('createServer(): a public name is obtained from the ACME CA (real Pebble) during the first handshake, HTTP redirects', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const home = tempDir(t, 'gatehouse-create-acme')
  const server = await createServer(
    {
      domains: ['shop.example.org'],
      email: 'ops@example.test',
      home,
      acme: { directory: pebble.directoryUrl, caCert: pebble.listenerCaFile },
      https: { host: '127.0.0.1', port: pebble.tlsPort },
      http: { host: '127.0.0.1', port: pebble.httpPort },
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  const rootFile = await pebble.rootFile(0)
  const r = await curl([
    '--resolve',
    `shop.example.org:${pebble.tlsPort}:127.0.0.1`,
    '--cacert',
    rootFile,
    `https://shop.example.org:${pebble.tlsPort}/hello`,
  ])
  assert.deepEqual(r, { code: 0, stdout: 'app /hello' })
  const redirect = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{redirect_url}',
    '-H',
    'Host: shop.example.org',
    `http://127.0.0.1:${pebble.httpPort}/a?b=c`,
  ])
  assert.equal(redirect.stdout, `301 https://shop.example.org:${pebble.tlsPort}/a?b=c`)
  const status = server.managers.flatMap((m) => m.status())
  assert.equal(status.find((s) => s.name === 'shop.example.org')?.failures ?? 0, 0)
})

test('createServer(): a misspelt option or a bad domain is refused before anything starts, naming it', async () => {
  await assert.rejects(
    createServer(
      { domain: ['app.localhost'] } as unknown as Parameters<typeof createServer>[0],
      app,
    ),
    (err: Error) =>
      err instanceof TypeError &&
      /unknown createServer\(\) option "domain"; did you mean domains\?/.test(err.message),
  )
  await assert.rejects(createServer({ domains: ['exa mple.com'], certDir: false }, app), {
    code: 'ERR_INVALID_IDENTIFIER',
    message: /invalid name "exa mple\.com"/,
  })
})

test('createServer(): the default certificate is saved in the certificate folder once and reused', async (t) => {
  const home = tempDir(t, 'gatehouse-create-default')
  const options = {
    domains: ['app.localhost'],
    home,
    https: { host: '127.0.0.1', port: 0 },
    http: { port: -1 },
  }
  const first = await createServer(options, app)
  const crt = join(home, 'certificates', 'default.crt')
  const saved = readFileSync(crt, 'utf8')
  assert.match(saved, /BEGIN CERTIFICATE/)
  assert.equal(statSync(join(home, 'certificates', 'default.key')).mode & 0o777, 0o600)
  await first.close()
  const second = await createServer(options, app)
  await second.close()
  assert.equal(
    readFileSync(crt, 'utf8'),
    saved,
    'a second start serves the saved default, not a new one',
  )
})
