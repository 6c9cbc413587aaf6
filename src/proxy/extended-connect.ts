/**
 * WebSockets over HTTP/2 (RFC 8441): a CONNECT stream with `:protocol websocket` is the handshake,
 * routed like an HTTP/1.1 Upgrade and forwarded to the upstream as one (RFC 6455 §4.1); once the
 * upstream switches protocols the stream carries the frames.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import type { Reply } from './reply.js'
import { sendText } from './reply.js'
import { checkHttp2Request, isRefusal } from './request-checks.js'
import { first, peerOf, serverName } from './request-fields.js'
import { Http2TunnelClient } from './tunnel-client.js'
import { openWebSocket, refuseMisdirected, type UpgradeContext } from './upgrade.js'

/**
 * Serves a CONNECT stream. `raw` is its fields without pseudo-headers. Plain CONNECT (a TCP tunnel,
 * RFC 9113 §8.5) and protocols other than `websocket` get 501; a websocket CONNECT without `:scheme`
 * and `:path` is malformed (RFC 8441 §4) and gets 400.
 */
export function handleExtendedConnect(
  ctx: UpgradeContext,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  raw: readonly string[],
  reply: Reply,
  start: number,
): void {
  const protocol = first(headers[':protocol'])
  if (protocol === undefined) return sendText(reply, 501, 'CONNECT is not supported\n')
  if (protocol.toLowerCase() !== 'websocket')
    return sendText(reply, 501, `CONNECT for ${JSON.stringify(protocol)} is not supported\n`)
  const scheme = first(headers[':scheme'])
  const path = first(headers[':path'])
  if (scheme !== 'https' || path === undefined)
    return sendText(reply, 400, 'an extended CONNECT needs :scheme https and a :path\n')
  const socket = stream.session?.socket as TLSSocket | undefined
  const checked = checkHttp2Request(
    first(headers[':authority']),
    headers.host,
    path,
    serverName(socket),
  )
  const remote = peerOf(socket?.remoteAddress)
  const client = new Http2TunnelClient(stream)
  if (isRefusal(checked)) {
    if (checked.host === undefined) return sendText(reply, checked.status, `${checked.message}\n`)
    const { host } = checked
    const logged = { remote, method: 'CONNECT', host, path, proto: '2' as const, start }
    return refuseMisdirected(ctx, logged, client, checked)
  }
  // RFC 8441 §5: the client sends no Sec-WebSocket-Key (and no Upgrade, which HTTP/2 forbids); the
  // upstream gets ours, and the Upgrade an HTTP/1.1 handshake needs.
  const fields: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.toLowerCase() !== 'sec-websocket-key') fields.push(name, raw[i + 1] as string)
  }
  fields.push('upgrade', 'websocket', 'sec-websocket-key', client.key)
  const cookie = headers.cookie
  openWebSocket(
    ctx,
    {
      ...checked,
      method: 'GET',
      rawHeaders: fields,
      peer: remote,
      cookie: Array.isArray(cookie) ? cookie.join('; ') : cookie,
      version: '2',
      start,
    },
    client,
    Buffer.alloc(0),
  )
}
