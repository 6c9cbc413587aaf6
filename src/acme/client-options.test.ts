import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { resolveClientOptions } from './client-options.js'

const accountKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
const directoryUrl = 'https://ca.example/dir'

test('defaults are filled in and the result is frozen', () => {
  const o = resolveClientOptions({ directoryUrl, accountKey })
  assert.equal(o.maxRetryAfterMs, 60_000)
  assert.equal(o.pollTimeoutMs, 300_000)
  assert.equal(o.accountUrl, undefined)
  assert.ok(Object.isFrozen(o))
})

test('bad options are named, misspellings get a suggestion', () => {
  assert.throws(() => resolveClientOptions({ directoryUrl, accountKey, caCert: [] } as never), {
    name: 'TypeError',
    message: /unknown AcmeClient option "caCert"; did you mean "caCerts"\?/,
  })
  assert.throws(() => resolveClientOptions({ directoryUrl: 'ftp://x/dir', accountKey }), {
    name: 'TypeError',
    message: /directoryUrl must be an https:\/\//,
  })
  assert.throws(
    () =>
      resolveClientOptions({
        directoryUrl,
        accountKey: accountKey.export({ type: 'pkcs8', format: 'pem' }) as never,
      }),
    { name: 'TypeError', message: /accountKey must be a private KeyObject/ },
  )
  assert.throws(() => resolveClientOptions({ directoryUrl, accountKey, maxRetryAfterMs: -1 }), {
    name: 'RangeError',
    message: /maxRetryAfterMs/,
  })
  assert.throws(() => resolveClientOptions({ directoryUrl, accountKey, caCerts: ['not pem'] }), {
    name: 'TypeError',
    message: /caCerts/,
  })
})
