import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import type { Clock } from '../clock.js'
import { throwIfAborted } from '../errors.js'
import { AcmeHttp } from './http.js'
import { NoncePool } from './nonce-pool.js'
import { MAX_BAD_NONCE_RETRIES, signedPost, type SignedPostContext } from './signed-post.js'

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
const URN = 'urn:ietf:params:acme:error:'

type Answer = (res: ServerResponse, nonce: string) => void

/**
 * A loopback server: HEAD /nonce hands out nonces; each POST is answered by the next `answers`
 * entry (the last one repeats) and its JWS nonce recorded.
 */
async function setup(t: TestContext, answers: Answer[], clock?: Clock) {
  let counter = 0
  const seen: string[] = []
  const server = createServer((req, res) => {
    const nonce = `nonce${++counter}`
    res.setHeader('replay-nonce', nonce)
    if (req.method === 'HEAD') return void res.end()
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const jws = JSON.parse(body) as { protected: string }
      const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString()) as {
        nonce: string
      }
      seen.push(header.nonce)
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]
      answer?.(res, nonce)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const sleeps: number[] = []
  const http = new AcmeHttp({ onNonce: (n) => nonces.add(n), now: () => Date.now() })
  const nonces = new NoncePool(async (signal) => {
    await http.request('HEAD', `${base}/nonce`, { signal })
  })
  const ctx: SignedPostContext = {
    http,
    nonces,
    clock: clock ?? {
      now: () => Date.now(),
      async sleep(ms, signal) {
        throwIfAborted(signal)
        sleeps.push(ms)
      },
    },
    maxRetryAfterMs: 60_000,
  }
  t.after(async () => {
    await http.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { ctx, url: `${base}/post`, seen, sleeps }
}

const ok: Answer = (res) => res.end('{"status":"valid"}')
const problem =
  (status: number, type: string, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers })
    res.end(JSON.stringify({ type: `${URN}${type}`, detail: 'x', status }))
  }

test('badNonce is retried at once with the nonce from the error response', async (t) => {
  const { ctx, url, seen, sleeps } = await setup(t, [
    problem(400, 'badNonce'),
    problem(400, 'badNonce'),
    ok,
  ])
  const res = await signedPost(ctx, url, {}, { key })
  assert.equal(res.status, 200)
  // nonce1 from HEAD; nonce2 and nonce3 came with the two badNonce answers.
  assert.deepEqual(seen, ['nonce1', 'nonce2', 'nonce3'])
  assert.deepEqual(sleeps, [])
})

test('badNonce retries are capped', async (t) => {
  const { ctx, url, seen } = await setup(t, [problem(400, 'badNonce')])
  await assert.rejects(signedPost(ctx, url, {}, { key }), { acmeType: 'badNonce' })
  assert.equal(seen.length, MAX_BAD_NONCE_RETRIES + 1)
  assert.equal(new Set(seen).size, seen.length, 'never the same nonce twice')
})

test('rateLimited and 503 wait Retry-After and re-sign with a new nonce', async (t) => {
  const { ctx, url, seen, sleeps } = await setup(t, [
    problem(429, 'rateLimited', { 'retry-after': '2' }),
    problem(503, 'serverInternal', { 'retry-after': '1' }),
    ok,
  ])
  await signedPost(ctx, url, { a: 1 }, { key })
  assert.deepEqual(sleeps, [2000, 1000])
  assert.deepEqual(seen, ['nonce1', 'nonce2', 'nonce3'])
})

test('nothing else is retried: other problems, 503 without Retry-After', async (t) => {
  for (const answer of [
    problem(500, 'serverInternal'),
    problem(403, 'unauthorized'),
    problem(503, 'serverInternal'),
  ]) {
    const { ctx, url, seen, sleeps } = await setup(t, [answer, ok])
    await assert.rejects(signedPost(ctx, url, {}, { key }), { code: 'ERR_ACME_PROBLEM' })
    assert.equal(seen.length, 1)
    assert.deepEqual(sleeps, [])
  }
})
