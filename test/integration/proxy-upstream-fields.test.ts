/**
 * An upstream's response fields reach the client only as undici's parser (llhttp, strict) passed
 * them: names that are tokens, values without control octets (RFC 9110 §5.1, §5.5). SocketReply does
 * not check proxied fields again (reply.ts, `HeadOptions.checked`), so this holds the parser to it:
 * an undici that let one of these through would split or smuggle a response, and fails here.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type AddressInfo, type Server } from 'node:net'
import {
  proxyRoute,
  rawTls,
  site,
  startProxy,
  type ProxyFixture,
} from '../helpers/proxy-fixture.js'

/** Field lines an upstream might send, by request path. */
const BAD_FIELDS: Record<string, string> = {
  '/ctl': 'X-A: a\x01b',
  '/nul': 'X-A: a\x00b',
  '/del': 'X-A: a\x7fb',
  '/obs-fold': 'X-A: a\r\n b',
  '/bare-cr': 'X-A: a\rX-Injected: 1',
  '/bare-lf': 'X-A: a\nX-Injected: 1',
  '/space-in-name': 'Bad Name: x',
  '/space-before-colon': 'X-A : x',
  '/empty-name': ': x',
  '/ctl-in-name': 'X\x01A: x',
}

/** Values that are allowed and must arrive byte for byte. */
const GOOD_FIELDS: Record<string, string> = {
  '/tab': 'X-A: a\tb',
  '/latin1': 'X-A: caf\xe9',
}

function startRawUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', (data) => {
      const path = /^GET (\S+)/.exec(data.toString('latin1'))?.[1] ?? ''
      const field = BAD_FIELDS[path] ?? GOOD_FIELDS[path] ?? 'X-A: plain'
      const head = `HTTP/1.1 200 OK\r\n${field}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n`
      socket.end(Buffer.from(`${head}ok`, 'latin1'))
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  )
}

describe('proxy: fields an upstream sends', () => {
  let upstream: { server: Server; url: string }
  let proxy: ProxyFixture
  before(async () => {
    upstream = await startRawUpstream()
    proxy = await startProxy([site(['app.test'], [proxyRoute([upstream.url], { retries: 0 })])])
  })
  after(async () => {
    await proxy.close()
    await new Promise((resolve) => upstream.server.close(resolve))
  })

  const get = async (path: string): Promise<string> => {
    const request = `GET ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`
    const { text } = await rawTls(proxy.port, 'app.test', request, proxy.rootPem, 5_000)
    return text
  }

  for (const [path, field] of Object.entries(BAD_FIELDS)) {
    test(`${JSON.stringify(field)} → 502, nothing of it relayed`, async () => {
      const text = await get(path)
      assert.match(text, /^HTTP\/1\.1 502 /, text)
      assert.match(text, /sent an invalid response/)
      assert.doesNotMatch(text, /X-A|X-Injected|Bad Name|ok$/i)
    })
  }

  for (const [path, field] of Object.entries(GOOD_FIELDS)) {
    test(`${JSON.stringify(field)} is relayed as sent`, async () => {
      const text = await get(path)
      assert.match(text, /^HTTP\/1\.1 200 /, text)
      assert.ok(text.includes(`\r\n${field}\r\n`), text)
    })
  }
})
