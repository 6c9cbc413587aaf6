import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../src/clock.js'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { generateKey, importPrivateKeyPem } from '../../src/crypto/keys.js'
import { splitPemChain } from '../../src/crypto/pem.js'
import { createLeafCertificate } from '../../src/local-ca/ca-certificates.js'
import { LocalCa, ROOT_CERT_KEY, ROOT_KEY_KEY } from '../../src/local-ca/local-ca.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { opensslText } from '../helpers/openssl.js'

const DAY_MS = 24 * 60 * 60 * 1000

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gatehouse-local-ca-'))
}

/** Kills a hung openssl rather than waiting for the runner's timeout. */
const OPENSSL_TIMEOUT_MS = 30_000

/**
 * `openssl verify -CAfile root leaf` with an optional host name or IP check. Resolves with openssl's
 * output; `ok` says whether it accepted. (The shared helper passes an empty `-untrusted` file, which
 * openssl 3 refuses; a local CA chain has no intermediates.)
 */
async function verify(
  leafPem: string,
  rootPem: string,
  options: { name?: string; ip?: string } = {},
): Promise<{ ok: boolean; output: string }> {
  const dir = tempDir()
  try {
    writeFileSync(join(dir, 'root.pem'), rootPem)
    writeFileSync(join(dir, 'leaf.pem'), splitPemChain(leafPem)[0] ?? '')
    const args = ['verify', '-CAfile', join(dir, 'root.pem')]
    if (options.name) args.push('-verify_hostname', options.name)
    if (options.ip) args.push('-verify_ip', options.ip)
    args.push(join(dir, 'leaf.pem'))
    return await new Promise((resolve) => {
      execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS }, (err, stdout, stderr) =>
        resolve({ ok: err === null, output: `${stdout}${stderr}` }),
      )
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function assertVerifies(
  leafPem: string,
  rootPem: string,
  options: { name?: string; ip?: string } = {},
): Promise<void> {
  const { ok, output } = await verify(leafPem, rootPem, options)
  assert.ok(ok, `openssl verify ${JSON.stringify(options)}: ${output}`)
  assert.match(output, /: OK/)
}

describe('LocalCa', () => {
  const dirs: string[] = []
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const fileStorage = (): { storage: FileStorage; dir: string } => {
    const dir = tempDir()
    dirs.push(dir)
    return { storage: new FileStorage({ root: dir }), dir }
  }

  test('creates a name-constrained ECDSA P-256 root, stored with its key 0600', async () => {
    const { storage, dir } = fileStorage()
    const ca = await LocalCa.load(storage)
    assert.match(ca.name, /^Gatehouse Local CA [0-9a-f]{6}$/)
    const text = opensslText(ca.rootCertificatePem)
    assert.match(
      text,
      /Subject: CN ?= ?Gatehouse Local CA [0-9a-f]{6}, O ?= ?Gatehouse local development CA/,
    )
    assert.match(text, /ASN1 OID: prime256v1/)
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/)
    assert.match(text, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign/)
    assert.match(text, /X509v3 Subject Key Identifier:/)
    assert.match(
      text,
      /X509v3 Name Constraints: critical\n\s+Permitted:\n\s+DNS:localhost\n\s+DNS:.localhost\n\s+DNS:test\n\s+IP:127.0.0.0\/255.0.0.0\n\s+IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF\n/,
    )
    const info = parseCertificate(ca.rootCertificatePem)
    const years = (info.notAfter.getTime() - info.notBefore.getTime()) / (365.25 * DAY_MS)
    assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`)
    assert.equal(statSync(join(dir, ROOT_KEY_KEY)).mode & 0o777, 0o600)
    assert.equal(statSync(join(dir, ROOT_CERT_KEY)).mode & 0o777, 0o644)
    const again = await LocalCa.load(new FileStorage({ root: dir }))
    assert.equal(again.rootCertificatePem, ca.rootCertificatePem)
  })

  test('openssl verify accepts leaves for localhost, app.localhost, app.test, 127.0.0.1 and ::1', async () => {
    const ca = await LocalCa.load(new MemoryStorage())
    const issued = await ca.issue(['localhost', 'app.localhost', 'app.test', '127.0.0.1', '::1'])
    const chain = issued.leafPem + issued.chainPem
    for (const name of ['localhost', 'app.localhost', 'app.test']) {
      await assertVerifies(chain, ca.rootCertificatePem, { name })
    }
    for (const ip of ['127.0.0.1', '::1']) {
      await assertVerifies(chain, ca.rootCertificatePem, { ip })
    }
    // Each name alone too: a leaf whose only SAN is an IP is checked against the IP subtrees only.
    for (const name of ['*.app.localhost', '127.1.2.3', '::1']) {
      const single = await ca.issue([name])
      await assertVerifies(single.leafPem, ca.rootCertificatePem)
    }
    assert.deepEqual(
      issued.identifiers.map((i) => i.value),
      ['localhost', 'app.localhost', 'app.test', '127.0.0.1', '::1'],
    )
  })

  test('leaves carry serverAuth, digitalSignature, AKI = root SKI and a positive 16-byte serial', async () => {
    const ca = await LocalCa.load(new MemoryStorage())
    const issued = await ca.issue(['app.localhost'])
    const text = opensslText(issued.leafPem)
    assert.match(text, /X509v3 Extended Key Usage: \n?\s*TLS Web Server Authentication\n/)
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/)
    assert.match(text, /CA:FALSE/)
    assert.match(text, /Subject: O ?= ?Gatehouse development certificate, CN ?= ?app.localhost/)
    const root = new X509Certificate(ca.rootCertificatePem)
    const leaf = new X509Certificate(issued.leafPem)
    assert.ok(leaf.checkIssued(root))
    assert.ok(leaf.verify(root.publicKey))
    const rootSki = /Subject Key Identifier: ?\n\s+([0-9A-F:]+)/.exec(
      opensslText(ca.rootCertificatePem),
    )?.[1]
    assert.ok(rootSki)
    assert.equal(
      parseCertificate(issued.leafPem).authorityKeyIdentifierHex,
      rootSki.replace(/:/g, '').toLowerCase(),
    )
    const serial = parseCertificate(issued.leafPem).serialDerHex
    assert.equal(serial.length, 32)
    assert.ok(parseInt(serial.slice(0, 2), 16) < 0x80, 'positive without padding')
    const rsa = await ca.issue(['rsa.test'], { keyType: 'rsa2048' })
    assert.match(opensslText(rsa.leafPem), /Digital Signature, Key Encipherment/)
    await assertVerifies(rsa.leafPem, ca.rootCertificatePem, { name: 'rsa.test' })
    assert.equal(importPrivateKeyPem(rsa.privateKeyPem).asymmetricKeyDetails?.modulusLength, 2048)
  })

  test('refuses names outside the constraints with ERR_INVALID_IDENTIFIER naming the name and the allowed set', async () => {
    const ca = await LocalCa.load(new MemoryStorage())
    for (const name of ['example.com', '192.0.2.1', 'localhost.example.com', '::2']) {
      await assert.rejects(ca.issue(['localhost', name]), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_INVALID_IDENTIFIER')
        assert.ok(err.message.includes(JSON.stringify(name)), err.message)
        assert.match(err.message, /localhost, \*\.localhost, \*\.test, 127\.0\.0\.0\/8 and ::1/)
        return true
      })
    }
    await assert.rejects(ca.issue(['localhost'], { validityDays: 826 }), RangeError)
    await assert.rejects(ca.issue(['localhost'], { validityDays: 0 }), RangeError)
    await assert.rejects(ca.issue([]), RangeError)
  })

  test('a leaf for example.com or 192.0.2.1 forced past the refusal fails openssl verify: the constraint holds', async () => {
    const { storage } = fileStorage()
    const ca = await LocalCa.load(storage)
    const rootKeyBytes = await storage.get(ROOT_KEY_KEY)
    assert.ok(rootKeyBytes)
    const rootKey = importPrivateKeyPem(Buffer.from(rootKeyBytes).toString('utf8'))
    const forge = async (type: 'dns' | 'ip', value: string): Promise<string> =>
      createLeafCertificate({
        identifiers: [{ type, value }],
        leafKey: await generateKey('ec256'),
        rootPem: ca.rootCertificatePem,
        rootKey,
        now: Date.now(),
        validityDays: 30,
      })
    for (const [type, value] of [
      ['dns', 'example.com'],
      ['ip', '192.0.2.1'],
    ] as const) {
      const forged = await verify(await forge(type, value), ca.rootCertificatePem)
      assert.equal(forged.ok, false, value)
      assert.match(forged.output, /permitted subtree violation/, value)
    }
    // The same builder with a permitted name passes, so the failures come from the name alone.
    await assertVerifies(await forge('dns', 'ok.test'), ca.rootCertificatePem)
  })

  test('validity comes from the injected clock: 30 days by default, never past the root', async () => {
    const start = Date.UTC(2030, 0, 1)
    const clock: Clock = { now: () => start, sleep: async () => {} }
    const ca = await LocalCa.load(new MemoryStorage(), { clock })
    const leaf = parseCertificate((await ca.issue(['localhost'])).leafPem)
    assert.equal(leaf.notAfter.getTime(), start + 30 * DAY_MS)
    assert.ok(leaf.notBefore.getTime() < start)
    const week = parseCertificate((await ca.issue(['localhost'], { validityDays: 7 })).leafPem)
    assert.equal(week.notAfter.getTime(), start + 7 * DAY_MS)
    // Opened again near the root's end, the same CA caps a leaf at the root's notAfter.
    const { storage } = fileStorage()
    const real = await LocalCa.load(storage, { clock })
    const rootEnd = parseCertificate(real.rootCertificatePem).notAfter.getTime()
    const nearEnd: Clock = { now: () => rootEnd - DAY_MS, sleep: async () => {} }
    const capped = await LocalCa.open(storage, { clock: nearEnd })
    assert.ok(capped)
    const cappedLeaf = parseCertificate((await capped.issue(['localhost'])).leafPem)
    assert.equal(cappedLeaf.notAfter.getTime(), rootEnd)
  })

  test('a root without its key, or with the wrong key, is refused rather than replaced', async () => {
    const ca = await LocalCa.load(new MemoryStorage())
    const orphan = new MemoryStorage()
    await orphan.put(ROOT_CERT_KEY, ca.rootCertificatePem)
    await assert.rejects(LocalCa.load(orphan), { code: 'ERR_STORAGE' })
    const wrongKey = await generateKey('ec256')
    await orphan.put(ROOT_KEY_KEY, wrongKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      private: true,
    })
    await assert.rejects(LocalCa.load(orphan), { code: 'ERR_CERTIFICATE' })
    assert.equal(await LocalCa.open(new MemoryStorage()), undefined)
  })

  test('concurrent first loads from two storages on one folder create one CA', async () => {
    const { dir } = fileStorage()
    const loads = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        LocalCa.load(new FileStorage({ root: dir }), { signal: AbortSignal.timeout(30_000 + i) }),
      ),
    )
    const roots = new Set(loads.map((ca) => ca.rootCertificatePem))
    assert.equal(roots.size, 1)
    const stored = await new FileStorage({ root: dir }).get(ROOT_CERT_KEY)
    assert.equal(Buffer.from(stored ?? []).toString('utf8'), [...roots][0])
  })
})
