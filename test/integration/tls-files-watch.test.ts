import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { jsonLogger } from '../../src/logger.js'
import { createServer } from '../../src/server/create-server.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { curl } from '../helpers/curl.js'

test('createServer(): explicit tlsFiles are watched: a replaced pair is served without a restart, a bad one is refused and logged', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-tls-files-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const cert = join(home, 'site.crt')
  const key = join(home, 'site.key')
  const cas = [await LocalCa.load(new MemoryStorage()), await LocalCa.load(new MemoryStorage())]
  const roots = cas.map((ca, i) => {
    const file = join(home, `root${i}.pem`)
    writeFileSync(file, ca.rootCertificatePem)
    return file
  })
  const write = async (ca: LocalCa, keyPem?: string): Promise<void> => {
    const issued = await ca.issue(['files.localhost'])
    writeFileSync(key, keyPem ?? issued.privateKeyPem)
    writeFileSync(cert, issued.leafPem + issued.chainPem)
  }
  await write(cas[0] as LocalCa)
  const lines: string[] = []
  const server = await createServer(
    {
      domains: ['other.localhost'],
      home,
      tlsFiles: [{ cert, key }],
      https: { host: '127.0.0.1', port: 0 },
      http: { port: -1 },
      logger: jsonLogger({ write: (l) => lines.push(l) }),
    },
    (_req: unknown, res: { end(s: string): void }) => res.end('ok'),
  )
  await server.listen()
  t.after(() => server.close())
  const get = (root: string | undefined) =>
    curl([
      '--resolve',
      `files.localhost:${server.httpsPort}:127.0.0.1`,
      '--cacert',
      root ?? '',
      `https://files.localhost:${server.httpsPort}/`,
    ])
  assert.deepEqual(await get(roots[0]), { code: 0, stdout: 'ok' })

  await write(cas[1] as LocalCa)
  let served = await get(roots[1])
  for (let i = 0; i < 50 && served.code !== 0; i++) {
    await delay(100)
    served = await get(roots[1])
  }
  assert.deepEqual(served, { code: 0, stdout: 'ok' }, 'the replacement is served')

  lines.length = 0
  await write(cas[0] as LocalCa, (await (cas[0] as LocalCa).issue(['x.localhost'])).privateKeyPem)
  for (let i = 0; i < 50 && !lines.some((l) => l.includes('certificate file refused')); i++)
    await delay(100)
  const refused = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['msg'] === 'certificate file refused')
  assert.equal(refused?.['file'], cert)
  assert.match(String(refused?.['reason']), /is not the key of/)
  assert.deepEqual(
    await get(roots[1]),
    { code: 0, stdout: 'ok' },
    'the previous pair keeps serving',
  )
})
