/**
 * A `ws` WebSocket server on 127.0.0.1, port 0, torn down (clients terminated, server closed) by the
 * test that started it.
 */
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type ServerOptions } from 'ws'

export async function startWsServer(
  t: { after: (fn: () => Promise<void>) => void },
  options: Omit<ServerOptions, 'server' | 'port' | 'noServer'> = {},
  /** Answers plain (non-upgrade) requests; without it they are never answered. */
  request?: RequestListener,
): Promise<{ wss: WebSocketServer; port: number }> {
  const server = request ? createServer(request) : createServer()
  const wss = new WebSocketServer({ ...options, server })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const c of wss.clients) c.terminate()
    wss.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { wss, port: (server.address() as AddressInfo).port }
}
