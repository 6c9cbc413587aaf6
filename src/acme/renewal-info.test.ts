import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertCertId, clampAriRetry, parseRenewalInfo, renewalInfoUrl } from './renewal-info.js'

test('ARI Retry-After is clamped to [60 s, 24 h], 6 h when absent (RFC 9773 §4.3)', () => {
  assert.equal(clampAriRetry(undefined), 6 * 3600_000)
  assert.equal(clampAriRetry(0), 60_000)
  assert.equal(clampAriRetry(90_000), 90_000)
  assert.equal(clampAriRetry(30 * 86_400_000), 86_400_000)
})

test('renewalInfo URL and CertID checks', () => {
  assert.equal(renewalInfoUrl('https://ca/ari/', 'a.b'), 'https://ca/ari/a.b')
  assert.equal(renewalInfoUrl('https://ca/ari', 'a.b'), 'https://ca/ari/a.b')
  assertCertId('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')
  for (const bad of ['', 'nodot', 'a.b.c', 'a/b.c', 'a=.b']) {
    assert.throws(() => assertCertId(bad), { name: 'TypeError' }, bad)
  }
})

test('renewalInfo bodies must carry an ordered window', () => {
  const good = { suggestedWindow: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' } }
  assert.deepEqual(parseRenewalInfo(good, 'u'), good)
  for (const bad of [
    {},
    null,
    { suggestedWindow: { start: 'x', end: '2026-01-02T00:00:00Z' } },
    { suggestedWindow: { start: '2026-01-03T00:00:00Z', end: '2026-01-02T00:00:00Z' } },
  ]) {
    assert.throws(() => parseRenewalInfo(bad, 'u'), { code: 'ERR_ACME_PROTOCOL' })
  }
})
