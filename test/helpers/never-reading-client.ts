/**
 * A client that sends a request and then neither reads nor closes its side, to a loopback server of
 * our own HTTP/1.1 connections that hands upgrades to `upgrade`: for the paths that must not leave
 * such a socket half-open for good.
 */
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import type { Http1Request } from '../../src/proxy/types.js'
import { Http1Connection } from '../../src/server/http1-connection.js'

export interface NeverReadOutcome {
  /** How long the server's socket stayed open after the request; undefined: still open at the end. */
  openMs: number | undefined
  /** What the server had written, read once its socket closed (or the wait ended). */
  text: string
}

export async function neverReadingClient(
  request: string,
  upgrade: (req: Http1Request, rest: Buffer) => boolean,
  waitMs: number,
): Promise<NeverReadOutcome> {
  const limits = {
    maxHeadBytes: 32 * 1024,
    headerTimeoutMs: 10_000,
    bodyTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    lingerMs: 1_000,
  }
  const accepted: Socket[] = []
  const server = createServer((socket) => {
    accepted.push(socket)
    new Http1Connection(socket, { request: (_req, reply) => reply.end(), upgrade }, limits)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  client.on('error', () => {})
  // Never read: what arrives (the answer, the FIN) stays unread, so the client never ends its side.
  client.pause()
  try {
    await once(client, 'connect')
    const started = Date.now()
    client.write(request)
    while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5))
    const socket = accepted[0] as Socket
    const closed = socket.destroyed ? Promise.resolve() : once(socket, 'close')
    const timer = new Promise<'open'>((r) => setTimeout(() => r('open'), waitMs))
    const open = (await Promise.race([closed, timer])) === 'open'
    const openMs = open ? undefined : Date.now() - started
    const parts: Buffer[] = []
    client.on('data', (d: Buffer) => parts.push(d))
    client.resume()
    await new Promise((r) => setTimeout(r, 50))
    return { openMs, text: Buffer.concat(parts).toString('latin1') }
  } finally {
    client.destroy()
    for (const socket of accepted) socket.destroy()
    server.close()
  }
}
