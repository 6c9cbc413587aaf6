import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'

/** A loopback port that is free for TCP (and, with `udp`, for UDP too) at the time of the call. */
export async function freePort(options: { udp?: boolean; host?: string } = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1'
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen(0, host, () => {
        const addr = srv.address()
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0))
      })
    })
    if (!options.udp) return port
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4')
      sock.once('error', () => resolve(false))
      sock.bind(port, host, () => sock.close(() => resolve(true)))
    })
    if (ok) return port
  }
  throw new Error('no free loopback port found after 20 attempts')
}
