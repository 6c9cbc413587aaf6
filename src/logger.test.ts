import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonLogger } from './logger.js'

test('jsonLogger writes one JSON object per line, drops lines below its level, and prints errors', () => {
  const lines: string[] = []
  const log = jsonLogger({
    level: 'info',
    write: (l) => lines.push(l),
    now: () => 0,
    base: { w: 1 },
  })
  log.debug('hidden')
  log.warn('renewal failed', {
    name: 'a.test',
    err: Object.assign(new Error('boom'), { code: 'X' }),
  })
  assert.equal(lines.length, 1)
  assert.ok(lines[0]?.endsWith('\n'))
  assert.deepEqual(JSON.parse(lines[0] ?? ''), {
    time: '1970-01-01T00:00:00.000Z',
    level: 'warn',
    msg: 'renewal failed',
    w: 1,
    name: 'a.test',
    err: { message: 'boom', code: 'X' },
  })
})
