/** Fixtures for the upstream and tunnel tests: route options, loopback servers, throwaway certificates. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo, Server as NetServer, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSelfSigned } from '../server/self-signed.js'
import { proxyRouteTo } from './proxy-route-defaults.js'
import { Http1TunnelClient } from './tunnel-client.js'
import type { ProxyRoute } from './types.js'
import type { TunnelHandle, TunnelOptions, TunnelTarget } from './tunnel-target.js'
import { tunnelWebSocket } from './websocket-tunnel.js'

/** A proxy route with the documented defaults (to a closed port), changed by `overrides`. */
export function proxyRoute(overrides: Partial<ProxyRoute> = {}): ProxyRoute {
  return proxyRouteTo(['http://127.0.0.1:1'], overrides)
}

/** Forwards an HTTP/1.1 Upgrade (RFC 6455 §4, RFC 9110 §7.8): {@link tunnelWebSocket} on its socket. */
export function proxyWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: TunnelTarget,
  options: TunnelOptions,
): TunnelHandle {
  return tunnelWebSocket(new Http1TunnelClient(socket), head, target, options, req.method ?? 'GET')
}

/** Sockets of each listening server, so that `stop` can end them (plain net servers have no list). */
const connections = new WeakMap<Server | NetServer, Set<Socket>>()

/** Listens on a free loopback port; returns the port. */
export async function listen(server: Server | NetServer): Promise<number> {
  const sockets = new Set<Socket>()
  connections.set(server, sockets)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}

/** Closes a server and every connection it still has. */
export async function stop(server: Server | NetServer): Promise<void> {
  for (const socket of connections.get(server) ?? []) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  const port = await listen(server)
  await stop(server)
  return port
}

export interface TestCertificate {
  cert: string
  key: string
  /** The certificate written to a file, for `upstreamTls.caFile` (it is its own CA). */
  caFile: string
  /** Removes the file. */
  remove(): void
}

/** A self-signed certificate for `names`, saved to a temporary file. */
export async function testCertificate(names: string[]): Promise<TestCertificate> {
  const { certificatePem, privateKeyPem } = await createSelfSigned(names)
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-upstream-'))
  const caFile = join(dir, 'ca.pem')
  writeFileSync(caFile, certificatePem)
  return {
    cert: certificatePem,
    key: privateKeyPem,
    caFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** Polls `condition` every 5 ms until it holds; fails after `ms` of real time. */
export async function eventually(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
