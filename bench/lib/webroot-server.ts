import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'

/** RFC 8555 §8.1: a token is base64url, so anything else in the path is refused, not looked up. */
const TOKEN_PATH = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/

/**
 * A static HTTP server for `<root>/.well-known/acme-challenge/<token>` files (RFC 8555 §8.3): the
 * one listener that many `lego --http.webroot <root>` runs share, since each standalone lego would
 * bind the single port Pebble validates on.
 */
export async function startWebrootServer(
  root: string,
  host: string,
  port: number,
): Promise<{ close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const token = TOKEN_PATH.exec(req.url ?? '')?.[1]
    if (!token) {
      res.writeHead(404).end()
      return
    }
    readFile(join(root, '.well-known', 'acme-challenge', token)).then(
      (body) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
