import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import { tempDir } from '../helpers/temp-dir.js'

// Start-up cost: undici and @peculiar/x509 (with its asn1 packages) take ~0.2 s of CPU each to load, so paths that do not need
// them must not import them. A module-resolve hook in the child records every package it loads.
const run = promisify(execFile)
const HEAVY = /node_modules\/(undici|@peculiar\/[^/]+)\//

async function packagesLoaded(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string[]> {
  const log = join(dir, 'loaded.txt')
  writeFileSync(log, '')
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n')
  return result
}`,
  )
  const register = join(dir, 'register.mjs')
  writeFileSync(
    register,
    `import { register } from 'node:module'\nregister(${JSON.stringify(`file://${hooks}`)})`,
  )
  await run(process.execPath, ['--import', register, ...args], {
    env: { PATH: process.env.PATH ?? '', GATEHOUSE_HOME: join(dir, 'home'), ...env },
    timeout: 60_000,
  })
  const heavy = readFileSync(log, 'utf8')
    .split('\n')
    .map((url) => HEAVY.exec(url)?.[1])
    .filter((name): name is string => name !== undefined)
  return [...new Set(heavy)].sort()
}

test('gatehouse --help loads neither undici nor @peculiar/x509', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  assert.deepEqual(await packagesLoaded(dir, [resolve('bin/gatehouse.js'), '--help']), [])
})

test('gatehouse ca issue loads @peculiar/x509 (it builds a certificate) but not undici', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  const args = [
    resolve('bin/gatehouse.js'),
    'ca',
    'issue',
    'a.localhost',
    '--out',
    join(dir, 'out'),
  ]
  assert.deepEqual(await packagesLoaded(dir, args), ['@peculiar/x509'])
})

test('importing the HTTPS server and the ACME client loads neither until they are used', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  const script = `await import(${JSON.stringify(resolve('build/src/server/https-server.js'))})
const { AcmeClient } = await import(${JSON.stringify(resolve('build/src/acme/client.js'))})
const { generateKeyPairSync } = await import('node:crypto')
const accountKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
await new AcmeClient({ directoryUrl: 'https://127.0.0.1:1/dir', accountKey }).close()`
  assert.deepEqual(await packagesLoaded(dir, ['--input-type=module', '-e', script]), [])
})

test('a server whose certificates are files serves its first handshake without undici or any @peculiar package', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  const certDir = join(dir, 'certs')
  mkdirSync(certDir)
  // As on every start after the first: the home has its local CA, the folder its default.crt.
  const ca = await LocalCa.load(new FileStorage({ root: join(dir, 'home') }))
  for (const [stem, name] of [
    ['app.localhost', 'app.localhost'],
    ['default', 'localhost'],
  ]) {
    const pair = await ca.issue([name ?? ''])
    writeFileSync(join(certDir, `${stem}.crt`), pair.leafPem + pair.chainPem)
    writeFileSync(join(certDir, `${stem}.key`), pair.privateKeyPem, { mode: 0o600 })
  }
  const script = `const { createServer } = await import(${JSON.stringify(resolve('build/src/server/create-server.js'))})
const { connect } = await import('node:tls')
const server = await createServer({ domains: [], home: ${JSON.stringify(join(dir, 'home'))},
  certDir: ${JSON.stringify(certDir)}, https: { host: '127.0.0.1', port: 0 }, http: { port: -1 } },
  (req, res) => res.end('ok'))
await server.listen()
const names = await new Promise((resolve, reject) => {
  const s = connect({ host: '127.0.0.1', port: server.httpsPort, servername: 'app.localhost', rejectUnauthorized: false },
    () => { resolve(s.getPeerCertificate().subjectaltname); s.destroy() })
  s.on('error', reject)
})
if (names !== 'DNS:app.localhost') throw new Error('served ' + names)
await server.close()`
  assert.deepEqual(await packagesLoaded(dir, ['--input-type=module', '-e', script]), [])
})
