import { test } from 'node:test'
import assert from 'node:assert/strict'
import './x509.js'

interface MetadataApi {
  getMetadata(key: unknown, target: object): unknown
  getOwnMetadata(key: unknown, target: object): unknown
  defineMetadata(key: unknown, value: unknown, target: object): void
}

test('the metadata polyfill stores per target and getMetadata walks the prototype chain', () => {
  const api = Reflect as unknown as MetadataApi
  class Base {}
  class Derived extends Base {}
  api.defineMetadata('k', 'base', Base)
  assert.equal(api.getOwnMetadata('k', Base), 'base')
  assert.equal(api.getOwnMetadata('k', Derived), undefined)
  assert.equal(api.getMetadata('k', Derived), 'base')
  api.defineMetadata('k', 'derived', Derived)
  assert.equal(api.getMetadata('k', Derived), 'derived')
  assert.equal(api.getMetadata('k', Base), 'base')
  assert.equal(api.getMetadata('other', Derived), undefined)
})
