import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { CertificateFolder, type FolderEvent } from '../../src/manager/certificate-folder.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { CertificateSources } from '../../src/server/certificate-sources.js'
import { HttpsServer } from '../../src/server/https-server.js'
import { curl } from '../helpers/curl.js'
import { tempDir } from '../helpers/temp-dir.js'

interface Pair {
  certificatePem: string
  privateKeyPem: string
  notAfter: Date
}

async function issue(ca: LocalCa, names: string[]): Promise<Pair> {
  const c = await ca.issue(names)
  return {
    certificatePem: c.leafPem + c.chainPem,
    privateKeyPem: c.privateKeyPem,
    notAfter: c.notAfter,
  }
}

/** The subjectAltName of the certificate `openssl s_client` gets from host:port, sending no SNI. */
async function noSniCertificate(host: string, port: number): Promise<string | undefined> {
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', target, '-noservername'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      timeout: 10_000,
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', reject)
    child.on('close', () => resolve(out))
    // s_client reads stdin; an immediate EOF ends the session after the handshake.
    child.stdin.end()
  })
  const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(stdout)
  return pem ? new X509Certificate(pem[0]).subjectAltName : undefined
}

/** The subjectAltName a Node client gets with SNI `servername`. */
function sniCertificate(
  host: string,
  port: number,
  servername: string,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().subjectaltname)
      socket.destroy()
    })
    socket.setTimeout(10_000, () =>
      socket.destroy(new Error(`handshake for ${servername} timed out`)),
    )
    socket.on('error', reject)
  })
}

test('a client without SNI gets the certificate for the local IP it connected to (folder file 127.0.0.1.crt), others the default', async (t) => {
  const dir = tempDir(t, 'gatehouse-ipdefault')
  const ca = await LocalCa.load(new MemoryStorage())
  writeFileSync(join(dir, 'root.pem'), ca.rootCertificatePem)
  const folderDir = join(dir, 'certs')
  mkdirSync(folderDir)
  const ipPair = await issue(ca, ['127.0.0.1'])
  writeFileSync(join(folderDir, '127.0.0.1.key'), ipPair.privateKeyPem, { mode: 0o600 })
  writeFileSync(join(folderDir, '127.0.0.1.crt'), ipPair.certificatePem)
  const events: FolderEvent[] = []
  const folder = new CertificateCache()
  const certificateFolder = new CertificateFolder({
    dir: folderDir,
    cache: folder,
    onEvent: (e) => events.push(e),
  })
  await certificateFolder.scan()
  assert.equal(folder.pendingCount, 1, 'known by file name only before listen')
  const managed = new CertificateCache()
  const app = await issue(ca, ['app.test'])
  managed.set({ id: 'app', names: ['app.test'], source: 'local-ca', ...app })

  const server = new HttpsServer(
    {
      cache: new CertificateSources([folder, managed]),
      defaultCertificate: await issue(ca, ['localhost']),
      // A wildcard listener: 127.0.0.1 and 127.0.0.2 both reach it, by different local addresses.
      https: { host: '0.0.0.0', port: 0 },
      http: { port: -1 },
    },
    (_req, res) => res.end('ok\n'),
  )
  await server.listen()
  t.after(() => server.close())
  const port = server.httpsPort ?? 0
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.name}`),
    ['loaded 127.0.0.1'],
    'listen reads the certificate for a local address before the first client',
  )

  assert.equal(await noSniCertificate('127.0.0.1', port), 'IP Address:127.0.0.1')
  assert.equal(
    await noSniCertificate('127.0.0.2', port),
    'DNS:localhost',
    'another address: the default',
  )
  assert.equal(await sniCertificate('127.0.0.1', port, 'app.test'), 'DNS:app.test')
  // A name with no certificate keeps the one for the address (nginx's per-address default server).
  assert.equal(await sniCertificate('127.0.0.1', port, 'unknown.test'), 'IP Address:127.0.0.1')
  assert.equal(await sniCertificate('127.0.0.2', port, 'unknown.test'), 'DNS:localhost')

  const verified = await curl(['--cacert', join(dir, 'root.pem'), `https://127.0.0.1:${port}/`])
  assert.deepEqual(verified, { code: 0, stdout: 'ok\n' }, 'curl verifies the IP certificate')
  const refused = await curl(['--cacert', join(dir, 'root.pem'), `https://127.0.0.2:${port}/`])
  assert.equal(refused.code, 60, 'the default certificate does not name 127.0.0.2')
  const http1 = await curl([
    '--http1.1',
    '--cacert',
    join(dir, 'root.pem'),
    `https://127.0.0.1:${port}/`,
  ])
  assert.deepEqual(http1, { code: 0, stdout: 'ok\n' })
})

test('on a dual-stack listener, IPv4 arrives IPv4-mapped and IPv6 by its own address', async (t) => {
  const dir = tempDir(t, 'gatehouse-ipdefault6')
  const ca = await LocalCa.load(new MemoryStorage())
  writeFileSync(join(dir, 'root.pem'), ca.rootCertificatePem)
  const cache = new CertificateCache()
  const v4 = await issue(ca, ['127.0.0.1'])
  const v6 = await issue(ca, ['::1'])
  cache.set({ id: 'v4', names: ['127.0.0.1'], source: 'local-ca', ...v4 })
  cache.set({ id: 'v6', names: ['0:0:0:0:0:0:0:1'], source: 'local-ca', ...v6 })
  const server = new HttpsServer(
    {
      cache,
      https: { host: '::', port: 0 },
      http: { port: -1 },
    },
    (_req, res) => res.end('ok\n'),
  )
  await server.listen()
  t.after(() => server.close())
  const port = server.httpsPort ?? 0
  assert.equal(await noSniCertificate('127.0.0.1', port), 'IP Address:127.0.0.1')
  assert.equal(await noSniCertificate('::1', port), 'IP Address:0:0:0:0:0:0:0:1')
  const verified = await curl(['--cacert', join(dir, 'root.pem'), `https://[::1]:${port}/`])
  assert.deepEqual(verified, { code: 0, stdout: 'ok\n' })
})
