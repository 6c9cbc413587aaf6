import { test } from 'node:test'
import assert from 'node:assert/strict'

// Self-reference by package name goes through package.json "exports", as a user's import does.
test('the package entry points export what the README shows', async () => {
  const root = (await import('gatehouse')) as Record<string, unknown>
  for (const name of [
    'obtain',
    'Http01StandaloneSolver',
    'TlsAlpn01StandaloneSolver',
    'Dns01Solver',
    'ExecDnsProvider',
    'Rfc2136DnsProvider',
    'parseIdentifiers',
    'generateKey',
    'AcmeClient',
    'FileStorage',
    'MemoryStorage',
    'GatehouseError',
    'AcmeProblemError',
    'certId',
    'VERSION',
  ]) {
    assert.ok(root[name] !== undefined, `gatehouse exports ${name}`)
  }
  const acme = (await import('gatehouse/acme')) as Record<string, unknown>
  assert.equal(typeof acme.AcmeClient, 'function')
  const testing = (await import('gatehouse/testing')) as Record<string, unknown>
  assert.equal(typeof testing.startPebble, 'function')
  assert.equal(typeof testing.storageConformance, 'function')
})
