import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { AcmeClient } from '../../src/acme/client.js'
import { freePort } from '../helpers/ports.js'

const accountKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey

/** A loopback HTTP server on port 0, closed after the test. */
async function serve(t: TestContext, handler: RequestListener): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/dir`
}

function client(t: TestContext, directoryUrl: string): AcmeClient {
  const c = new AcmeClient({ directoryUrl, accountKey })
  t.after(() => c.close())
  return c
}

test('an unreachable directory is ERR_ACME_NETWORK', async (t) => {
  const port = await freePort()
  await assert.rejects(client(t, `https://127.0.0.1:${port}/dir`).directory(), {
    code: 'ERR_ACME_NETWORK',
    message: new RegExp(`127\\.0\\.0\\.1:${port}`),
  })
})

test('a directory that is not JSON is ERR_ACME_PROTOCOL', async (t) => {
  const url = await serve(t, (_req, res) => res.end('<html>hello</html>'))
  await assert.rejects(client(t, url).directory(), {
    code: 'ERR_ACME_PROTOCOL',
    message: /invalid JSON/,
  })
})

test('a JSON document that is no ACME directory is ERR_ACME_PROTOCOL', async (t) => {
  const url = await serve(t, (_req, res) => res.end(JSON.stringify({ newNonce: 'x' })))
  await assert.rejects(client(t, url).directory(), {
    code: 'ERR_ACME_PROTOCOL',
    message: /"newNonce" is missing or not a URL/,
  })
})

test('a failed directory fetch is not cached', async (t) => {
  let calls = 0
  const url = await serve(t, (req, res) => {
    calls++
    if (calls === 1) return void res.writeHead(500).end('oops')
    const base = `http://${req.headers.host}`
    const dir = Object.fromEntries(
      ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'].map((k) => [
        k,
        `${base}/${k}`,
      ]),
    )
    res.end(JSON.stringify(dir))
  })
  const c = client(t, url)
  await assert.rejects(c.directory(), { code: 'ERR_ACME_PROBLEM', message: /HTTP 500: oops/ })
  assert.match((await c.directory()).newOrder, /\/newOrder$/)
  await c.directory()
  assert.equal(calls, 2, 'the good directory is cached')
})

test('a newNonce without Replay-Nonce is ERR_ACME_PROTOCOL', async (t) => {
  const url = await serve(t, (req, res) => {
    const base = `http://${req.headers.host}`
    const dir = Object.fromEntries(
      ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'].map((k) => [
        k,
        `${base}/${k}`,
      ]),
    )
    res.end(req.url === '/dir' ? JSON.stringify(dir) : '')
  })
  await assert.rejects(client(t, url).newAccount({ termsOfServiceAgreed: true }), {
    code: 'ERR_ACME_PROTOCOL',
    message: /Replay-Nonce/,
  })
})

test('aborting a hanging request is ERR_ABORTED, and so is an aborted signal', async (t) => {
  const url = await serve(t, () => {
    // never answers
  })
  const started = Date.now()
  await assert.rejects(client(t, url).directory({ signal: AbortSignal.timeout(100) }), {
    code: 'ERR_ABORTED',
  })
  assert.ok(Date.now() - started < 5_000)
  await assert.rejects(client(t, url).directory({ signal: AbortSignal.abort() }), {
    code: 'ERR_ABORTED',
  })
})

test('requests carry User-Agent, Accept-Language, JOSE content type and Content-Length', async (t) => {
  const seen: Record<string, string | undefined>[] = []
  const url = await serve(t, (req, res) => {
    const base = `http://${req.headers.host}`
    const dir = Object.fromEntries(
      ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'].map((k) => [
        k,
        `${base}/${k}`,
      ]),
    )
    res.setHeader('replay-nonce', `n${seen.length}`)
    if (req.method === 'POST') {
      seen.push({
        ua: req.headers['user-agent'],
        lang: req.headers['accept-language'],
        type: req.headers['content-type'],
        length: req.headers['content-length'],
        chunked: req.headers['transfer-encoding'],
      })
      res.writeHead(201, { location: '/acct/1' }).end('{"status":"valid"}')
      return
    }
    res.end(req.url === '/dir' ? JSON.stringify(dir) : '')
  })
  const c = client(t, url)
  const account = await c.newAccount({ termsOfServiceAgreed: true })
  assert.equal(account.url, new URL('/acct/1', url).href)
  assert.equal(c.accountUrl, account.url)
  assert.equal(seen.length, 1)
  const [h] = seen
  assert.match(h?.ua ?? '', /^gatehouse\/\d+\.\d+\.\d+ .*node\//)
  assert.equal(h?.lang, 'en')
  assert.equal(h?.type, 'application/jose+json')
  assert.match(h?.length ?? '', /^\d+$/)
  assert.equal(h?.chunked, undefined)
})
