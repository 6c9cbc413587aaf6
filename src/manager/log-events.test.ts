import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GatehouseError } from '../errors.js'
import { jsonLogger } from '../logger.js'
import { logFileEvent, logManagerEvent } from './log-events.js'
import { MANAGER_EVENT_TYPES, type ManagerEvent } from './manager-events.js'

const at = new Date('2026-01-02T03:04:05Z')
const certificate = {
  serialHex: '0a0b',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2026-01-07T00:00:00Z'),
}
const name = 'a.example.com'

test('every manager event is one log line with its facts; failures name the next retry', () => {
  const events: ManagerEvent[] = [
    { type: 'loaded', name, at, certificate },
    { type: 'obtained', name, at, certificate },
    {
      type: 'renewed',
      name,
      at,
      certificate,
      previous: { ...certificate, serialHex: '01' },
      replaces: 'aki.serial',
    },
    {
      type: 'renewal_failed',
      name,
      at,
      error: new GatehouseError('ERR_ACME_NETWORK', 'connect ECONNREFUSED'),
      attempt: 2,
      nextAttempt: new Date('2026-01-02T03:14:05Z'),
      hasCertificate: true,
    },
    {
      type: 'renewal_failed',
      name,
      at,
      error: new Error('no'),
      attempt: 1,
      nextAttempt: at,
      hasCertificate: false,
    },
    { type: 'expiring_soon', name, at, certificate },
    { type: 'renewal_declined', name, at, certificate, reason: 'ask answered 404' },
    { type: 'released', name, at, certificate },
  ]
  assert.deepEqual(
    [...new Set(events.map((e) => e.type))].sort(),
    [...MANAGER_EVENT_TYPES].sort(),
    'every event type is covered',
  )
  const lines: string[] = []
  const logger = jsonLogger({
    level: 'debug',
    write: (l) => lines.push(l),
    now: () => at.getTime(),
  })
  for (const e of events) logManagerEvent(logger, e)
  const got = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.deepEqual(
    got.map((l) => [l['level'], l['msg']]),
    [
      ['info', 'certificate loaded from storage'],
      ['info', 'certificate obtained'],
      ['info', 'certificate renewed'],
      ['warn', 'certificate renewal failed'],
      ['error', 'certificate renewal failed'],
      ['warn', 'certificate expiring soon'],
      ['warn', 'certificate renewal declined by the on-demand policy'],
      ['info', 'certificate expired and released'],
    ],
  )
  assert.deepEqual(got[2], {
    time: at.toISOString(),
    level: 'info',
    msg: 'certificate renewed',
    name,
    serial: '0a0b',
    notAfter: '2026-01-07T00:00:00.000Z',
    previousSerial: '01',
    replaces: 'aki.serial',
  })
  assert.deepEqual(got[3]?.['error'], { message: 'connect ECONNREFUSED', code: 'ERR_ACME_NETWORK' })
  assert.equal(got[3]?.['nextAttempt'], '2026-01-02T03:14:05.000Z')
  assert.equal(got[3]?.['attempt'], 2)
})

test('file events: loaded, refused (file and reason), removed', () => {
  const lines: string[] = []
  const logger = jsonLogger({ write: (l) => lines.push(l) })
  logFileEvent(logger, { type: 'loaded', file: '/c/a.crt', name: 'a', notAfter: at })
  logFileEvent(logger, { type: 'refused', file: '/c/a.crt', name: 'a', reason: 'expired' })
  logFileEvent(logger, { type: 'removed', file: '/c/a.crt', name: 'a' })
  assert.deepEqual(
    lines.map((l) => {
      const entry = JSON.parse(l) as Record<string, unknown>
      delete entry['time']
      return entry
    }),
    [
      {
        level: 'info',
        msg: 'certificate loaded from file',
        file: '/c/a.crt',
        name: 'a',
        notAfter: at.toISOString(),
      },
      {
        level: 'warn',
        msg: 'certificate file refused',
        file: '/c/a.crt',
        name: 'a',
        reason: 'expired',
      },
      { level: 'info', msg: 'certificate file removed', file: '/c/a.crt', name: 'a' },
    ],
  )
})
