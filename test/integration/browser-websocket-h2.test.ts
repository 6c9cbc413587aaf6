/**
 * A browser's `new WebSocket('wss://…')` through the proxy goes over the page's HTTP/2 connection
 * (RFC 8441): headless Chromium loads a page from a `respond` route, and the WebSocket upstream sees
 * a handshake whose Via says the client spoke HTTP/2, then the page's messages.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CHROMIUM_FLAGS } from '../helpers/chromium.js'
import { proxyRoute, site, startProxy } from '../helpers/proxy-fixture.js'
import { startWsServer } from '../helpers/ws-server.js'

/** A page load plus a WebSocket round trip on loopback takes a second or two. */
const BROWSER_TIMEOUT_MS = 30_000
const NO_OPS = { set: {}, remove: [] }

test('headless Chromium opens wss:// over the page’s HTTP/2 connection through the proxy', async (t) => {
  const { wss, port } = await startWsServer(t)
  const handshakes: IncomingMessage[] = []
  const messages: string[] = []
  let sawDone: () => void = () => {}
  const done = new Promise<void>((resolve) => (sawDone = resolve))
  wss.on('connection', (ws, req) => {
    handshakes.push(req)
    ws.on('message', (data) => {
      const text = (data as Buffer).toString()
      messages.push(text)
      if (text === 'got echo: hello') sawDone()
      else ws.send(`echo: ${text}`)
    })
  })
  const upstream = `http://127.0.0.1:${port}`
  const page =
    '<!doctype html><title>ws</title><script>' +
    'const ws = new WebSocket(`wss://${location.host}/ws`);' +
    "ws.onopen = () => ws.send('hello');" +
    'ws.onmessage = (e) => ws.send(`got ${e.data}`);' +
    '</script>'
  const proxy = await startProxy([
    site(
      ['app.test'],
      [
        proxyRoute([upstream], { path: '/ws' }),
        {
          kind: 'respond',
          path: '/',
          status: 200,
          body: page,
          contentType: 'text/html; charset=utf-8',
          maxBodyBytes: 1024,
          headersUp: NO_OPS,
          headersDown: NO_OPS,
        },
      ],
    ),
  ])
  t.after(() => proxy.close())

  const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-ws-'))
  t.after(() => rmSync(profile, { recursive: true, force: true }))
  const chromium = spawn(
    'chromium',
    [
      ...CHROMIUM_FLAGS,
      // The local CA is not in this profile's trust store; trust is not what this test is about
      // (browser.test.ts covers it), the protocol the WebSocket takes is.
      '--ignore-certificate-errors',
      `--user-data-dir=${profile}`,
      '--host-resolver-rules=MAP app.test 127.0.0.1',
      `https://app.test:${proxy.port}/`,
    ],
    { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: profile } },
  )
  const killChromium = (): void => {
    try {
      if (chromium.pid !== undefined) process.kill(-chromium.pid, 'SIGKILL')
    } catch {
      // ESRCH: already gone.
    }
  }
  t.after(killChromium)
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    done,
    new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no round trip within ${BROWSER_TIMEOUT_MS} ms: ${messages}`)),
        BROWSER_TIMEOUT_MS,
      )
    }),
  ]).finally(() => clearTimeout(timer))
  killChromium()

  assert.deepEqual(messages, ['hello', 'got echo: hello'])
  assert.equal(handshakes.length, 1)
  assert.equal(handshakes[0]?.headers.via, '2 gatehouse', 'the browser spoke HTTP/2 to the proxy')
  assert.equal(handshakes[0]?.headers['x-forwarded-host'], `app.test:${proxy.port}`)
})
