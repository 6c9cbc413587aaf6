import assert from 'node:assert/strict'
import { test } from 'node:test'
import { neverReadingClient } from '../../test/helpers/never-reading-client.js'
import { LINGER_MS } from '../proxy/tunnel-sockets.js'
import { StatusPageGateway } from './status-page.js'

test('status page: an upgrade gets 404, and the socket closes within LINGER_MS of a client that never reads', async () => {
  const gateway = new StatusPageGateway(() => [])
  const outcome = await neverReadingClient(
    'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
    (req) => gateway.upgradeHttp1(req),
    3 * LINGER_MS,
  )
  assert.match(outcome.text, /^HTTP\/1\.1 404 Not Found\r\n/)
  assert.ok(outcome.openMs !== undefined, 'the socket is still open (half-open)')
  assert.ok(outcome.openMs < LINGER_MS + 1000, `closed after ${outcome.openMs} ms`)
})
