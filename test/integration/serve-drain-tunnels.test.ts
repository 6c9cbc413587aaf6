/**
 * SIGTERM with WebSockets open through `gatehouse serve`, over HTTP/1.1 and over HTTP/2 (RFC 8441):
 * the tunnels are closed going away (1001 to the client and to the upstream) while an in-flight
 * request still finishes, and the process exits 0 well before server.drain_timeout.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { curl } from '../helpers/curl.js'
import { closeCode, h2Session, openH2WebSocket } from '../helpers/h2-websocket.js'
import { spawnGatehouse } from '../helpers/gatehouse-process.js'
import { startUpstream } from '../helpers/upstream.js'
import { openWebSocket } from '../helpers/wss-client.js'

const HOST = 'drain.test'
const DRAIN_TIMEOUT_MS = 10_000

/** A WebSocket echo upstream that reports the close code and reason each connection ended with. */
async function wsUpstream(): Promise<{
  port: number
  closes: Promise<{ code: number; reason: string }>
  close(): Promise<void>
}> {
  const server = createServer()
  const wss = new WebSocketServer({ server })
  const closes = new Promise<{ code: number; reason: string }>((resolve) =>
    wss.on('connection', (ws) => {
      ws.on('message', (data) => ws.send(`echo: ${(data as Buffer).toString()}`))
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    closes,
    async close() {
      for (const c of wss.clients) c.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

test('SIGTERM: open WebSockets (HTTP/1.1 and HTTP/2) get 1001 on both sides, an in-flight request finishes, exit 0 within the drain bound', async (t) => {
  const [ws, slow] = await Promise.all([wsUpstream(), startUpstream('slow', { delayMs: 1500 })])
  t.after(() => Promise.all([ws.close(), slow.close()]))
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-drain-tunnels-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const file = join(home, 'gatehouse.toml')
  writeFileSync(
    file,
    [
      `home = ${JSON.stringify(home)}`,
      '[https]\nhost = "127.0.0.1"\nport = 0',
      '[http]\nport = -1',
      `[server]\ndrain_timeout = "${DRAIN_TIMEOUT_MS}ms"`,
      '[log]\naccess_log = "off"',
      `[[site]]\nhosts = ["${HOST}"]`,
      `[[site.route]]\npath = "/ws"\nproxy = "127.0.0.1:${ws.port}"`,
      `[[site.route]]\npath = "/slow"\nproxy = "127.0.0.1:${slow.port}"`,
      '',
    ].join('\n'),
  )
  const gh = spawnGatehouse(['serve', '--config', file])
  t.after(() => gh.stop('SIGKILL'))
  const port = Number((await gh.waitForLog((l) => l.msg === 'listening')).https)
  const root = join(home, 'local-ca/root.crt')
  const client = await openWebSocket(HOST, port, '/ws', readFileSync(root, 'utf8'))
  t.after(() => client.ws.terminate())
  assert.equal(await client.echo('hello'), 'echo: hello')
  const { session } = await h2Session(port, HOST, readFileSync(root, 'utf8'))
  t.after(() => session.destroy())
  const h2 = await openH2WebSocket(session, `${HOST}:${port}`, '/ws')
  assert.equal(h2.status, 200)
  h2.send(0x1, 'hello over h2')
  assert.equal((await h2.next()).payload.toString(), 'echo: hello over h2')
  const clientClose = new Promise<{ code: number; reason: string }>((resolve) =>
    client.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  const inFlight = curl([
    '--resolve',
    `${HOST}:${port}:127.0.0.1`,
    '--cacert',
    root,
    '-w',
    ' %{http_code}',
    `https://${HOST}:${port}/slow`,
  ])
  // SIGTERM once the slow request has reached its upstream (bounded: 10 s).
  for (let i = 0; i < 500 && slow.requests.length === 0; i++)
    await new Promise((r) => setTimeout(r, 20))
  assert.equal(slow.requests.length, 1, 'the slow request is in flight')

  const started = performance.now()
  const code = gh.stop('SIGTERM', DRAIN_TIMEOUT_MS * 2)
  assert.deepEqual(await clientClose, { code: 1001, reason: 'going away' })
  assert.deepEqual(closeCode(await h2.next()), { code: 1001, reason: 'going away' })
  h2.stream.end()
  assert.deepEqual(await ws.closes, { code: 1001, reason: 'going away' })
  assert.deepEqual(await inFlight, { code: 0, stdout: 'slow GET /slow\n 200' })
  assert.equal(await code, 0)
  const elapsed = performance.now() - started
  assert.ok(elapsed < DRAIN_TIMEOUT_MS, `exited ${Math.round(elapsed)} ms after SIGTERM`)
  assert.ok(
    !gh.logs().some((l) => l.msg === 'drain timed out; closed the remaining connections'),
    'the drain finished: requests and tunnels closed within the bound',
  )
})
