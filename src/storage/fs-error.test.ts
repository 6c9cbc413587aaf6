import assert from 'node:assert/strict'
import { test } from 'node:test'
import { storageError } from './fs-error.js'

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something`), { code })
}

test('storageError names the path and the fix for each errno', () => {
  const table: [string, RegExp][] = [
    ['EACCES', /permission denied; check the owner and mode of \/srv\/x/],
    ['EPERM', /permission denied/],
    ['ENOSPC', /no space left.*free some disk space/],
    ['EDQUOT', /quota/],
    ['EROFS', /read-only; point the storage root at a writable folder/],
    ['ENOTDIR', /a key holds a value or other keys, not both/],
    ['EIO', /EIO: something/],
  ]
  for (const [code, message] of table) {
    const cause = errno(code)
    const err = storageError(cause, 'write', '/srv/x')
    assert.equal(err.code, 'ERR_STORAGE')
    assert.match(err.message, /^cannot write \/srv\/x: /)
    assert.match(err.message, message, code)
    assert.equal(err.cause, cause)
  }
  assert.match(storageError('odd', 'read', '/p').message, /cannot read \/p: odd/)
})
