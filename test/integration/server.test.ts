import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer as createTlsServer, connect, createSecureContext } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import {
  Http01InProcessSolver,
  TlsAlpn01InProcessSolver,
} from '../../src/issuance/in-process-solvers.js'
import { parseIdentifiers } from '../../src/issuance/identifiers.js'
import { obtain } from '../../src/issuance/obtain.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'
import { HttpsServer } from '../../src/server/https-server.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { startPebble } from '../helpers/pebble.js'
import { curl } from '../helpers/curl.js'
import { newAccountClient } from '../helpers/acme-account.js'

function httpGet(
  port: number,
  path: string,
  host: string,
  method = 'GET',
): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('HttpsServer with local-CA certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-server-'))
  const rootFile = join(dir, 'root.pem')
  const cache = new CertificateCache()
  let server: HttpsServer
  let https: number
  let http: number
  let ca: LocalCa
  before(async () => {
    ca = await LocalCa.load(new MemoryStorage())
    writeFileSync(rootFile, ca.rootCertificatePem)
    const issued = await ca.issue(['app.test', 'www.app.test'])
    cache.set({
      id: 'app',
      names: ['app.test', 'www.app.test'],
      notAfter: issued.notAfter,
      certificatePem: issued.leafPem + issued.chainPem,
      privateKeyPem: issued.privateKeyPem,
      source: 'local-ca',
    })
    server = new HttpsServer(
      {
        cache,
        https: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        hsts: { maxAgeSeconds: 600 },
      },
      (req, res) => res.end(`hello ${req.httpVersion} ${req.url}`),
    )
    await server.listen()
    https = server.httpsPort ?? 0
    http = server.httpPort ?? 0
  })
  after(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('HTTP/2 and HTTP/1.1 over TLS, verified by curl against the CA root, with HSTS', async () => {
    const url = `https://app.test:${https}/x?y=1`
    const resolve = ['--resolve', `app.test:${https}:127.0.0.1`, '--cacert', rootFile]
    const h2 = await curl([...resolve, '--http2', '-D', '-', '-w', '\n%{http_version}', url])
    assert.equal(h2.code, 0)
    assert.match(h2.stdout, /hello 2\.0 \/x\?y=1\n2$/)
    assert.match(h2.stdout, /strict-transport-security: max-age=600/i)
    const h1 = await curl([...resolve, '--http1.1', '-w', '\n%{http_version}', url])
    assert.match(h1.stdout, /hello 1\.1 \/x\?y=1\n1\.1$/)
  })

  test('TLS 1.0 and 1.1 and non-ECDHE or CBC suites are refused; TLS 1.2 and 1.3 work', async () => {
    const s = (args: string[]): Promise<{ code: number; out: string }> =>
      new Promise((resolve) => {
        const child = execFile(
          'openssl',
          ['s_client', '-connect', `127.0.0.1:${https}`, '-servername', 'app.test', ...args],
          { timeout: 5000 },
          (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
        )
        child.stdin?.end()
      })
    assert.equal((await s(['-tls1_3'])).code, 0)
    const tls12 = await s(['-tls1_2'])
    assert.equal(tls12.code, 0)
    assert.match(tls12.out, /Cipher is ECDHE-ECDSA-(AES\d+-GCM|CHACHA20)/)
    assert.notEqual((await s(['-tls1_1'])).code, 0)
    assert.notEqual((await s(['-tls1'])).code, 0)
    assert.notEqual((await s(['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'])).code, 0)
  })

  test('an unknown name gets no certificate', async () => {
    const r = await curl([
      '--resolve',
      `other.test:${https}:127.0.0.1`,
      '--cacert',
      rootFile,
      `https://other.test:${https}/`,
    ])
    assert.notEqual(r.code, 0)
  })

  test('HTTP redirects served hosts to HTTPS keeping path, query and port; never other hosts', async () => {
    const get = await httpGet(http, '/a/b?c=d', 'www.app.test')
    assert.equal(get.status, 301)
    assert.equal(get.location, `https://www.app.test:${https}/a/b?c=d`)
    const post = await httpGet(http, '/form', 'app.test:80', 'POST')
    assert.equal(post.status, 308)
    assert.equal(post.location, `https://app.test:${https}/form`)
    const evil = await httpGet(http, '/', 'evil.example')
    assert.equal(evil.status, 404)
    assert.equal(evil.location, undefined)
    const weird = await httpGet(http, '/', 'app.test/@evil.example')
    assert.equal(weird.status, 404)
  })

  test('a handshake for a name whose certificate is on its way waits for it', async () => {
    const waiting = new CertificateCache()
    let release: (() => void) | undefined
    const arrived = new Promise<void>((r) => (release = r))
    const late = new HttpsServer(
      {
        cache: waiting,
        https: { host: '127.0.0.1', port: 0 },
        http: { port: -1 },
        waitForCertificate: async () => (await arrived, true),
      },
      (_req, res) => res.end('late'),
    )
    await late.listen()
    try {
      assert.equal(late.httpPort, undefined, 'port -1 disables the HTTP listener')
      const pending = curl([
        '--resolve',
        `late.test:${late.httpsPort}:127.0.0.1`,
        '--cacert',
        rootFile,
        `https://late.test:${late.httpsPort}/`,
      ])
      await new Promise((r) => setTimeout(r, 200))
      const issued = await ca.issue(['late.test'])
      waiting.set({
        id: 'late',
        names: ['late.test'],
        notAfter: issued.notAfter,
        certificatePem: issued.leafPem + issued.chainPem,
        privateKeyPem: issued.privateKeyPem,
        source: 'local-ca',
      })
      release?.()
      const r = await pending
      assert.equal(r.code, 0)
      assert.equal(r.stdout, 'late')
    } finally {
      await late.close()
    }
  })
})

test('Node calls the ALPN callback before the SNI callback for one ClientHello (the server relies on it)', async () => {
  const { leafPem, chainPem, privateKeyPem } = await (
    await LocalCa.load(new MemoryStorage())
  ).issue(['order.test'])
  const ctx = createSecureContext({ key: privateKeyPem, cert: leafPem + chainPem })
  const order: string[] = []
  const srv = createTlsServer({
    ALPNCallback: ({ protocols }) => (order.push('alpn'), protocols[0]),
    SNICallback: (_name, cb) => (order.push('sni'), cb(null, ctx)),
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  try {
    const port = (srv.address() as { port: number }).port
    await new Promise<void>((resolve, reject) => {
      const s = connect(
        {
          port,
          host: '127.0.0.1',
          servername: 'order.test',
          ALPNProtocols: ['acme-tls/1'],
          rejectUnauthorized: false,
        },
        () => (s.end(), resolve()),
      )
      s.on('error', reject)
    })
    assert.deepEqual(order, ['alpn', 'sni'])
  } finally {
    srv.close()
  }
})

test('HTTP-01 and TLS-ALPN-01 answered in-process on the server’s own ports, against real Pebble', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const cache = new CertificateCache()
  const server = new HttpsServer(
    {
      cache,
      https: { host: '127.0.0.1', port: pebble.tlsPort },
      http: { host: '127.0.0.1', port: pebble.httpPort },
    },
    (_req, res) => res.end('served'),
  )
  await server.listen()
  t.after(() => server.close())
  const client = await newAccountClient(t, pebble.directoryUrl, pebble.listenerCaPem)

  const viaHttp = await obtain(parseIdentifiers(['h.example.test']), {
    client,
    solvers: [new Http01InProcessSolver(server.http01)],
  })
  cache.set({
    id: 'h',
    names: ['h.example.test'],
    notAfter: new Date(Date.now() + 86400_000),
    certificatePem: viaHttp.certificatePem,
    privateKeyPem: viaHttp.privateKeyPem,
    source: 'acme',
  })
  // The HTTPS port now serves h.example.test while TLS-ALPN-01 for another name is answered on it.
  const viaAlpn = await obtain(parseIdentifiers(['t.example.test']), {
    client,
    solvers: [new TlsAlpn01InProcessSolver(server.tlsAlpn)],
  })
  cache.set({
    id: 't',
    names: ['t.example.test'],
    notAfter: new Date(Date.now() + 86400_000),
    certificatePem: viaAlpn.certificatePem,
    privateKeyPem: viaAlpn.privateKeyPem,
    source: 'acme',
  })
  assert.equal(server.tlsAlpn.size, 0)
  const rootFile = await pebble.rootFile(0)
  for (const name of ['h.example.test', 't.example.test']) {
    const r = await curl([
      '--resolve',
      `${name}:${pebble.tlsPort}:127.0.0.1`,
      '--cacert',
      rootFile,
      `https://${name}:${pebble.tlsPort}/`,
    ])
    assert.equal(r.code, 0, name)
    assert.equal(r.stdout, 'served')
  }
})
