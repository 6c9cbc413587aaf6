import { WebSocket } from 'ws'

/** A WebSocket client to `wss://host:port/path` connecting to 127.0.0.1, verifying against `ca`. */
export async function openWebSocket(
  host: string,
  port: number,
  path: string,
  ca: string,
): Promise<{ ws: WebSocket; echo(text: string): Promise<string>; closed: Promise<number> }> {
  const ws = new WebSocket(`wss://${host}:${port}${path}`, {
    ca,
    handshakeTimeout: 10_000,
    // Every name is this machine (as curl --resolve): with autoSelectFamily, Node asks for all addresses.
    lookup: ((_name: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
      opts.all
        ? cb(null, [{ address: '127.0.0.1', family: 4 }])
        : cb(null, '127.0.0.1', 4)) as never,
  })
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    closed,
    echo: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo of ${text} within 5 s`)), 5_000)
        ws.once('message', (data) => {
          clearTimeout(timer)
          resolve((data as Buffer).toString())
        })
        ws.send(text)
      }),
  }
}
