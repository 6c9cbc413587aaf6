import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

/** A real loopback upstream: answers `<name> <method> <url>`, echoes WebSocket messages with its name. */
export interface Upstream {
  readonly port: number
  readonly server: Server
  /** Requests seen (method, url, headers). */
  readonly requests: IncomingMessage[]
  close(): Promise<void>
}

export async function startUpstream(
  name: string,
  options: { delayMs?: number } = {},
): Promise<Upstream> {
  const requests: IncomingMessage[] = []
  const server = createServer((req, res) => {
    requests.push(req)
    req.resume()
    req.on('end', () => {
      const answer = (): void => {
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(`${name} ${req.method} ${req.url}\n`)
      }
      if (options.delayMs) setTimeout(answer, options.delayMs)
      else answer()
    })
  })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws) =>
    ws.on('message', (data) => ws.send(`${name}: ${(data as Buffer).toString()}`)),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    server,
    requests,
    async close() {
      for (const client of wss.clients) client.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
