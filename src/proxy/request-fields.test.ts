import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hostField } from './request-fields.js'

test('hostField gives the first Host field as sent, whatever the case of its name', () => {
  assert.equal(
    hostField(['Accept', '*/*', 'HoSt', 'App.Test:8443', 'host', 'b.test']),
    'App.Test:8443',
  )
  // A value named like the field is not the field.
  assert.equal(hostField(['x-host', 'host', 'x', 'y']), '')
  assert.equal(hostField([]), '')
})
