import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GatehouseError } from '../errors.js'
import {
  KEY_TYPES,
  exportPrivateKeyPem,
  generateKey,
  importPrivateKeyPem,
  isKeyType,
  keyTypeOf,
  parseKeyType,
} from './keys.js'
import { openssl, withTempDir } from './openssl-cli.test.helper.js'
import { createPublicKey } from 'node:crypto'

test('parseKeyType accepts every key type and names the valid list otherwise', () => {
  for (const t of KEY_TYPES) assert.equal(parseKeyType(t), t)
  for (const bad of ['', 'EC256', 'rsa1024', 'ed25519', 'p256']) {
    assert.equal(isKeyType(bad), false)
    assert.throws(
      () => parseKeyType(bad),
      (err: unknown) => {
        assert.ok(err instanceof RangeError)
        assert.match(err.message, new RegExp(JSON.stringify(bad)))
        assert.match(err.message, /ec256, ec384, rsa2048, rsa3072, rsa4096/)
        return true
      },
    )
  }
})

test('generateKey makes each key type, keyTypeOf recognises it, and PEM round-trips', async () => {
  for (const type of ['ec256', 'ec384', 'rsa2048', 'rsa3072'] as const) {
    const key = await generateKey(type)
    assert.equal(key.type, 'private')
    assert.equal(keyTypeOf(key), type)
    assert.equal(keyTypeOf(createPublicKey(key)), type)
    const pem = exportPrivateKeyPem(key)
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/)
    const back = importPrivateKeyPem(pem)
    assert.equal(keyTypeOf(back), type)
    assert.equal(exportPrivateKeyPem(back), pem)
  }
})

test('generateKey does not block the event loop during an RSA 4096 generation', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  try {
    const started = performance.now()
    const key = await generateKey('rsa4096')
    const elapsed = performance.now() - started
    assert.equal(keyTypeOf(key), 'rsa4096')
    // A blocking generation would leave at most one tick; expect ticks in proportion to the time spent.
    assert.ok(
      ticks >= Math.min(5, Math.floor(elapsed / 20)),
      `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`,
    )
    assert.ok(ticks >= 2, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`)
  } finally {
    clearInterval(timer)
  }
})

test('generateKey rejects with ERR_ABORTED when the signal aborts, before or during', async () => {
  await assert.rejects(generateKey('ec256', { signal: AbortSignal.abort() }), {
    code: 'ERR_ABORTED',
  })
  const controller = new AbortController()
  const pending = generateKey('rsa3072', { signal: controller.signal })
  controller.abort(new Error('stop'))
  await assert.rejects(pending, { code: 'ERR_ABORTED' })
})

test('generateKey rejects an unknown type with a RangeError', async () => {
  await assert.rejects(generateKey('rsa1024' as never), RangeError)
})

test('keyTypeOf returns undefined for keys outside the supported set', async () => {
  const { generateKeyPairSync } = await import('node:crypto')
  assert.equal(keyTypeOf(generateKeyPairSync('ed25519').privateKey), undefined)
  assert.equal(keyTypeOf(generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey), undefined)
  assert.equal(keyTypeOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), undefined)
})

test('importPrivateKeyPem reads keys openssl writes in PKCS#1 and SEC 1 form', async () => {
  await withTempDir(async (dir) => {
    await openssl(['genrsa', '-traditional', '-out', 'rsa.key', '2048'], dir)
    await openssl(['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', 'ec.key'], dir)
    const rsaPem = await readFile(join(dir, 'rsa.key'), 'utf8')
    const ecPem = await readFile(join(dir, 'ec.key'), 'utf8')
    assert.match(rsaPem, /BEGIN RSA PRIVATE KEY/)
    assert.match(ecPem, /BEGIN EC PRIVATE KEY/)
    assert.equal(keyTypeOf(importPrivateKeyPem(rsaPem)), 'rsa2048')
    assert.equal(keyTypeOf(importPrivateKeyPem(ecPem)), 'ec384')
  })
})

test('importPrivateKeyPem throws ERR_CERTIFICATE on garbage, public keys and encrypted keys', async () => {
  const key = await generateKey('ec256')
  const encrypted = key
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
    .toString()
  const damaged = exportPrivateKeyPem(key).replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!')
  const cases = [
    ['empty', ''],
    ['text', 'hello'],
    ['public key', createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString()],
    ['encrypted', encrypted],
    ['damaged', damaged],
  ] as const
  for (const [what, pem] of cases) {
    assert.throws(
      () => importPrivateKeyPem(pem),
      (err: unknown) =>
        err instanceof GatehouseError && err.code === 'ERR_CERTIFICATE' && err.message.length > 20,
      what,
    )
  }
})

test('exportPrivateKeyPem refuses a public key', async () => {
  const key = await generateKey('ec256')
  assert.throws(() => exportPrivateKeyPem(createPublicKey(key)), TypeError)
})
