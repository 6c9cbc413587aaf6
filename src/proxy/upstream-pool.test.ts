import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { errors } from 'undici'
import { UpstreamPool } from './upstream-pool.js'

/** An upstream counting its connections; `hold` keeps answers back until `release()`. */
async function upstream(t: TestContext): Promise<{
  url: string
  connections: () => number
  hold: (on: boolean) => void
  release: () => void
}> {
  const sockets = new Set<Socket>()
  let holding = false
  let held: ServerResponse[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    if (holding) held.push(res)
    else res.end('ok')
  })
  server.on('connection', (s: Socket) => sockets.add(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => sockets.size,
    hold: (on) => (holding = on),
    release: () => {
      for (const res of held) res.end('ok')
      held = []
    },
  }
}

async function get(pool: UpstreamPool, url: string): Promise<string> {
  const res = await pool.request({ origin: url, path: '/', method: 'GET' })
  return res.body.text()
}

test('requests one after another reuse kept-alive connections', async (t) => {
  const up = await upstream(t)
  const pool = new UpstreamPool(up.url, {})
  t.after(() => pool.close())
  for (let i = 0; i < 20; i++) assert.equal(await get(pool, up.url), 'ok')
  // A client is free again a microtask after its response ended, after the caller has already
  // sent the next request: two connections take turns, as with undici's Pool.
  assert.ok(up.connections() <= 2, `${up.connections()} connections`)
})

test('requests in flight at once each get a connection, reused once they are free', async (t) => {
  const up = await upstream(t)
  const pool = new UpstreamPool(up.url, {})
  t.after(() => pool.close())
  up.hold(true)
  const first = Array.from({ length: 4 }, () => get(pool, up.url))
  // All four reach the upstream before any is answered: four connections.
  for (let i = 0; i < 100 && up.connections() < 4; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(up.connections(), 4)
  up.hold(false)
  up.release()
  assert.deepEqual(await Promise.all(first), ['ok', 'ok', 'ok', 'ok'])
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(await Promise.all(Array.from({ length: 4 }, () => get(pool, up.url))), [
    'ok',
    'ok',
    'ok',
    'ok',
  ])
  assert.equal(up.connections(), 4, 'no connection beyond the four made')
})

test('a request after close() fails with ClientClosedError, without a connection', async (t) => {
  const up = await upstream(t)
  const pool = new UpstreamPool(up.url, {})
  assert.equal(await get(pool, up.url), 'ok')
  await pool.close()
  await assert.rejects(get(pool, up.url), errors.ClientClosedError)
  assert.equal(up.connections(), 1)
})

test('a client whose connection failed serves the next request once the upstream is back', async (t) => {
  // A pool aimed at a port with nothing listening, then at one that answers: the same client.
  const probe = createServer((_req, res) => res.end('back'))
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const spare = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const url = `http://127.0.0.1:${spare}`
  const pool = new UpstreamPool(url, {})
  t.after(() => pool.close())
  await assert.rejects(get(pool, url), /ECONNREFUSED/)
  const back = createServer((_req, res) => res.end('back'))
  await new Promise<void>((resolve) => back.listen(spare, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => back.close(() => resolve())))
  assert.equal(await get(pool, url), 'back')
})
