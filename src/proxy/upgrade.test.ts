import assert from 'node:assert/strict'
import { test } from 'node:test'
import { neverReadingClient } from '../../test/helpers/never-reading-client.js'
import { DEFAULT_GATEWAY_LIMITS } from '../server/gateway-listeners.js'
import { createGateway } from './gateway.js'
import { LINGER_MS } from './tunnel-sockets.js'

const UPGRADE = 'Host: app.test\r\nConnection: upgrade\r\nUpgrade: websocket\r\n'

test('an upgrade refused before routing: answered, and closed within LINGER_MS of a client that never reads', async (t) => {
  const gateway = createGateway({
    sites: [],
    limits: { ...DEFAULT_GATEWAY_LIMITS, maxUrlBytes: 64 },
    trustedProxies: [],
    via: 'gatehouse',
  })
  t.after(() => gateway.close())
  const take = gateway.upgradeHttp1.bind(gateway)
  // Both refusals at once: each waits out the bound.
  const [withBody, longTarget] = await Promise.all([
    neverReadingClient(
      `GET /ws HTTP/1.1\r\n${UPGRADE}Content-Length: 2\r\n\r\nhi`,
      take,
      3 * LINGER_MS,
    ),
    neverReadingClient(`GET /${'a'.repeat(100)} HTTP/1.1\r\n${UPGRADE}\r\n`, take, 3 * LINGER_MS),
  ])
  assert.match(withBody.text, /^HTTP\/1\.1 400 /)
  assert.match(longTarget.text, /^HTTP\/1\.1 414 /)
  for (const outcome of [withBody, longTarget]) {
    assert.ok(outcome.openMs !== undefined, 'the socket is still open (half-open)')
    assert.ok(outcome.openMs < LINGER_MS + 1000, `closed after ${outcome.openMs} ms`)
  }
})
