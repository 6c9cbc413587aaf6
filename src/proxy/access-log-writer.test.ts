import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { accessLogEntry, isoTime } from './access-log.js'
import { AccessLogWriter } from './access-log-writer.js'

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-access-log-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The complete lines of `file` (a write still under way may have left a partial last one). */
function lines(file: string): unknown[] {
  // The writer opens its file asynchronously: before that, no file is no lines.
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''

  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown)
}

test('lines are batched in memory, then written within flushMs, in order', async (t) => {
  const file = join(scratch(t), 'access.log')
  const w = new AccessLogWriter(file, { flushMs: 50 })
  for (let i = 0; i < 100; i++) w.write({ n: i })
  await sleep(10)
  assert.deepEqual(lines(file), [], 'nothing written before flushMs')
  await sleep(200)
  assert.deepEqual(
    lines(file),
    Array.from({ length: 100 }, (_, n) => ({ n })),
  )
  await w.close()
})

test('64 KiB pending are written without waiting for the timer', async (t) => {
  const file = join(scratch(t), 'access.log')
  const w = new AccessLogWriter(file, { flushMs: 60_000 })
  const big = 'x'.repeat(1000)
  for (let i = 0; i < 80; i++) w.write({ i, big })
  const deadline = Date.now() + 5000
  while (lines(file).length < 60 && Date.now() < deadline) await sleep(10)
  assert.ok(lines(file).length >= 60, `${lines(file).length} lines written`)
  await w.close()
  assert.equal(lines(file).length, 80)
})

test('lines that arrive during a write wait for the timer, not for the write to end', async (t) => {
  // Written as soon as the previous write ended, a busy server's log became a write per few lines.
  const file = join(scratch(t), 'access.log')
  const w = new AccessLogWriter(file, { flushMs: 60_000 })
  const big = 'x'.repeat(1000)
  // The 65th line passes 64 KiB and starts a write; the rest arrive while it is under way.
  for (let i = 0; i < 70; i++) w.write({ i, big })
  w.write({ late: true })
  const deadline = Date.now() + 5000
  while (lines(file).length === 0 && Date.now() < deadline) await sleep(10)
  await sleep(200)
  const first = lines(file).length
  assert.ok(first >= 60 && first < 71, `${first} lines in the first write, the rest waiting`)
  await w.close()
  assert.equal(lines(file).length, 71)
  assert.deepEqual(lines(file).at(-1), { late: true })
})

test('close() writes what is pending; the file is appended to, created 0640', async (t) => {
  const file = join(scratch(t), 'access.log')
  writeFileSync(file, '{"old":true}\n')
  const w = new AccessLogWriter(file, { flushMs: 60_000 })
  w.write({ a: 1 })
  w.write({ b: 2 })
  await w.close()
  assert.deepEqual(lines(file), [{ old: true }, { a: 1 }, { b: 2 }])
  w.write({ c: 3 })
  assert.equal(lines(file).length, 3, 'lines after close are dropped')
  const fresh = join(scratch(t), 'new.log')
  const w2 = new AccessLogWriter(fresh)
  await w2.close()
  assert.equal(statSync(fresh).mode & 0o777 & ~process.umask(), 0o640 & ~process.umask())
})

test('a file that cannot be opened is reported by close(), naming it', async (t) => {
  const file = join(scratch(t), 'missing-dir', 'access.log')
  const w = new AccessLogWriter(file, { flushMs: 1 })
  w.write({ a: 1 })
  await sleep(20)
  await assert.rejects(w.close(), (err: Error) => {
    assert.match(err.message, /cannot write the access log .*missing-dir.*ENOENT/)
    return true
  })
})

test('isoTime is Date#toISOString, across second, minute and year boundaries', () => {
  const instants = [0, 1, 9, 10, 99, 100, 999, 1000, 59_999, 60_000, 1_767_225_599_999]
  instants.push(1_767_225_600_000, 1_767_225_600_007, Date.now())
  for (const now of instants) assert.equal(isoTime(now), new Date(now).toISOString(), String(now))
  // Same second again after another one: the cache follows.
  // The same millisecond twice, another in its second, then the first again.
  for (const now of [5_123, 5_123, 5_999, 5_123, 5_124, 6_124])
    assert.equal(isoTime(now), new Date(now).toISOString(), String(now))
})

test('accessLogEntry leaves upstream out when there is none', () => {
  const fields = {
    remote: '127.0.0.1',
    method: 'GET',
    host: 'a.test',
    path: '/',
    status: 200,
    bytes: 2,
    durationMs: 1.23456,
    upstream: undefined,
    proto: '1.1',
  }
  const entry = accessLogEntry(fields, 0)
  assert.equal('upstream' in entry, false)
  assert.equal(entry.duration_ms, 1.235)
  assert.equal(entry.time, '1970-01-01T00:00:00.000Z')
})

test('lines of every size and script are written whole and in order', async (t) => {
  const file = join(scratch(t), 'access.log')
  const w = new AccessLogWriter(file, { flushMs: 60_000 })
  const entries: Record<string, unknown>[] = []
  // Multi-byte text near the end of each 64 KiB buffer, and lines longer than a buffer.
  for (let i = 0; i < 400; i++) {
    const text = i % 50 === 7 ? 'é€😀'.repeat(30_000) : `caf\u00e9 ${'€'.repeat(i)} \ud83d\ude00`
    entries.push({ i, text })
    w.write(entries[entries.length - 1] as Record<string, unknown>)
  }
  await w.close()
  assert.deepEqual(lines(file), entries)
})
