import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { choosePreferredChain, splitPemChain, topmostIssuerCn } from './certificate-chain.js'

/** A self-signed certificate made by openssl, so the parser is checked against another encoder. */
function selfSigned(dir: string, cn: string): string {
  const out = join(dir, `${cn.replace(/\W/g, '_')}.pem`)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      out,
      '-subj',
      `/O=Test/CN=${cn}`,
      '-days',
      '1',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  )
  return readFileSync(out, 'utf8')
}

test('chains are chosen by the issuer CN of their topmost certificate', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-chain-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const leaf = selfSigned(dir, 'leaf')
  const rootA = selfSigned(dir, 'Root A')
  const rootB = selfSigned(dir, 'Root B')
  const chainA = `${leaf}${rootA}`
  const chainB = `${leaf}\n${rootB}`
  assert.equal(splitPemChain(chainB).length, 2)
  assert.equal(topmostIssuerCn(chainA), 'Root A')
  assert.equal(topmostIssuerCn(''), undefined)
  assert.deepEqual(choosePreferredChain([chainA, chainB], 'Root B'), { index: 1, issuer: 'Root B' })
  assert.deepEqual(choosePreferredChain([chainA, chainB], 'Root C'), { index: 0, issuer: 'Root A' })
  assert.deepEqual(choosePreferredChain([chainA, chainB], undefined), {
    index: 0,
    issuer: 'Root A',
  })
  // The leaf's issuer does not count: only the topmost certificate's.
  assert.deepEqual(choosePreferredChain([chainA, chainB], 'leaf'), { index: 0, issuer: 'Root A' })
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'
  assert.throws(() => topmostIssuerCn(broken), { code: 'ERR_ACME_PROTOCOL' })
})
