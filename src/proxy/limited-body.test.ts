import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough, type Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { BodyStalled, limitedBody } from './limited-body.js'

const STALL_MS = 200

/**
 * Resolves with the error `body` fails with, or undefined once it ends (the stall timer is unref'd:
 * a timer of the test's own keeps the process up meanwhile).
 */
async function outcome(body: Readable): Promise<Error | undefined> {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    return await new Promise((resolve) => {
      body.once('error', resolve)
      body.once('end', () => resolve(undefined))
    })
  } finally {
    clearInterval(keepAlive)
  }
}

test('a client that sends nothing for the bound stalls the body', async () => {
  const source = new PassThrough()
  const body = limitedBody(source, Infinity, STALL_MS)
  const result = outcome(body)
  body.resume()
  source.write('first')
  const started = Date.now()
  const err = await result
  assert.ok(err instanceof BodyStalled, String(err))
  assert.ok(Date.now() - started >= STALL_MS - 20, 'not before the bound')
  source.destroy()
})

test('the pause is counted from when a full reader takes the upload again', async () => {
  const source = new PassThrough()
  const body = limitedBody(source, Infinity, STALL_MS)
  const result = outcome(body)
  // More than the body's buffers hold: the source is paused until the reader reads.
  source.write(Buffer.alloc(256 * 1024))
  await sleep(STALL_MS - 40)
  assert.equal(source.readableFlowing, false, 'the source is held for the reader')
  body.resume()
  // The client, held back till now by flow control, answers well within the bound of the resume,
  // though after the bound counted from its last byte.
  await sleep(100)
  source.end('rest')
  assert.equal(await result, undefined)
})

test('held past the bound, then read again: a silent client stalls a bound after the read', async () => {
  const source = new PassThrough()
  const body = limitedBody(source, Infinity, STALL_MS)
  const result = outcome(body)
  let failedEarly: unknown
  body.once('error', (err) => (failedEarly = err))
  source.write(Buffer.alloc(256 * 1024))
  // The reader takes nothing for three bounds: the client is held back, which never counts.
  await sleep(3 * STALL_MS)
  assert.equal(failedEarly, undefined, 'no stall while held for the reader')
  const resumed = Date.now()
  body.resume()
  const err = await result
  const elapsed = Date.now() - resumed
  assert.ok(err instanceof BodyStalled, String(err))
  assert.ok(
    elapsed >= STALL_MS - 20 && elapsed < 3 * STALL_MS,
    `stalled ${elapsed} ms after the read`,
  )
  source.destroy()
})
