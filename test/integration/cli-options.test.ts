import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { splitPemChain } from '../../src/crypto/pem.js'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { startAcmeFront } from '../helpers/acme-front.js'
import { startPebble } from '../helpers/pebble.js'
import { pebbleFlags } from '../helpers/run-cli.js'
import { runMain as run } from '../helpers/run-main.js'
import { tempDir } from '../helpers/temp-dir.js'

test('CLI: progress lines with timings on a terminal, none in --json mode', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const home = tempDir(t, 'gatehouse-cli-tty')
  const common = pebbleFlags(home, pebble)
  const tty = await run(['certs', 'obtain', 'tty.example.test', ...common], { tty: true })
  assert.equal(tty.code, 0, tty.stderr)
  for (const step of ['account', 'order', 'challenge', 'finalize', 'download']) {
    assert.match(
      tty.stderr,
      new RegExp(`^  ${step} +\\d+ ms`, 'm'),
      `${step} line in:\n${tty.stderr}`,
    )
  }
  assert.match(tty.stderr, /challenge +\d+ ms +tty\.example\.test http-01/)
  const json = await run(['certs', 'obtain', 'tty2.example.test', '--json', ...common], {
    tty: true,
  })
  assert.equal(json.code, 0, json.stderr)
  assert.equal(json.stderr, '')
  assert.equal((JSON.parse(json.stdout) as { ok: boolean }).ok, true)
})

test('CLI: External Account Binding is required by the CA, refused without it, accepted with it', async (t) => {
  const hmacKey = Buffer.alloc(32, 7).toString('base64url')
  const pebble = await startPebble({ eabKeys: { 'kid-gatehouse': hmacKey } })
  t.after(() => pebble.stop())
  const home = tempDir(t, 'gatehouse-cli-eab')
  const common = pebbleFlags(home, pebble)
  const without = await run(['certs', 'obtain', 'eab.example.test', ...common])
  assert.equal(without.code, 1)
  assert.match(without.stderr, /externalAccountRequired/)
  const wrong = await run([
    'certs',
    'obtain',
    'eab.example.test',
    '--eab-kid',
    'kid-gatehouse',
    '--eab-hmac-key',
    Buffer.alloc(32, 9).toString('base64url'),
    ...common,
  ])
  assert.equal(wrong.code, 1)
  const ok = await run([
    'certs',
    'obtain',
    'eab.example.test',
    '--eab-kid',
    'kid-gatehouse',
    '--eab-hmac-key',
    hmacKey,
    ...common,
  ])
  assert.equal(ok.code, 0, ok.stderr)
})

test('CLI: --profile through a CA that offers profiles, and a clear error for one it does not', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const front = await startAcmeFront(pebble, {
    profiles: { classic: 'default', shortlived: 'six days' },
  })
  t.after(() => front.close())
  const home = tempDir(t, 'gatehouse-cli-profile')
  const common = pebbleFlags(home, pebble, front.directoryUrl)
  const ok = await run([
    'certs',
    'obtain',
    'profile.example.test',
    '--profile',
    'shortlived',
    '--json',
    ...common,
  ])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal((JSON.parse(ok.stdout) as { profile?: string }).profile, 'shortlived')
  assert.deepEqual(front.orderProfiles, ['shortlived'])
  const bad = await run([
    'certs',
    'obtain',
    'profile.example.test',
    '--profile',
    'tlsserver',
    ...common,
  ])
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /tlsserver/)
  assert.match(bad.stderr, /classic, shortlived|shortlived, classic/)
  assert.equal(bad.stderr.trim().split('\n').length, 1)
})

test('CLI: --preferred-chain picks the alternate chain by its top issuer name', async (t) => {
  const pebble = await startPebble({ alternateRoots: 2 })
  t.after(() => pebble.stop())
  const home = tempDir(t, 'gatehouse-cli-chain')
  const alternateRoot = parseCertificate(await pebble.root(2))
  const want = alternateRoot.subjectCommonName ?? ''
  assert.notEqual(want, parseCertificate(await pebble.root(0)).subjectCommonName)
  const out = join(home, 'out')
  const common = pebbleFlags(home, pebble)
  const r = await run([
    'certs',
    'obtain',
    'chain.example.test',
    '--preferred-chain',
    want,
    '--export',
    out,
    ...common,
  ])
  assert.equal(r.code, 0, r.stderr)
  const chain = splitPemChain(readFileSync(join(out, 'fullchain.pem'), 'utf8'))
  const top = parseCertificate(chain[chain.length - 1] ?? '')
  assert.equal(top.issuerCommonName, want)
})
