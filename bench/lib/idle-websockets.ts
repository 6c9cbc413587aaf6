/**
 * Many idle WebSockets through a proxy: open them (a bounded number of handshakes in flight), keep
 * them idle, then prove each tunnel still works with one echoed message, and close them all.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'

export interface IdleWebSocketsOptions {
  /** `wss://localhost:PORT/ws`; certificates are not verified (the bench's own). */
  url: string
  count: number
  /** Opening handshakes in flight at once. Default 100. */
  concurrency?: number
  /** A connection not open after this counts as failed. Default 30 000 ms. */
  openTimeoutMs?: number
}

/** A set of open WebSockets, held until {@link IdleWebSockets.close}. */
export interface IdleWebSockets {
  /** Connections that opened. */
  readonly open: number
  /** Connections that failed to open, with the first error seen. */
  readonly failed: number
  readonly firstError: string | undefined
  /** Sends one message on each open connection; resolves with how many were echoed in time. */
  echo(timeoutMs: number): Promise<number>
  /** Connections that closed (either side) since they opened. */
  closedSince(): number
  close(): Promise<void>
}

function openOne(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false })
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`not open after ${timeoutMs} ms`))
    }, timeoutMs)
    ws.once('open', () => {
      clearTimeout(timer)
      resolve(ws)
    })
    ws.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

export async function openIdleWebSockets(o: IdleWebSocketsOptions): Promise<IdleWebSockets> {
  const sockets: WebSocket[] = []
  let failed = 0
  let firstError: string | undefined
  let closed = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < o.count) {
      next++
      try {
        const ws = await openOne(o.url, o.openTimeoutMs ?? 30_000)
        ws.on('error', () => {})
        ws.once('close', () => closed++)
        sockets.push(ws)
      } catch (err) {
        failed++
        firstError ??= (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency ?? 100 }, worker))
  return {
    open: sockets.length,
    failed,
    firstError,
    echo: (timeoutMs) => echoAll(sockets, timeoutMs),
    closedSince: () => closed,
    close: () => closeAll(sockets),
  }
}

async function echoAll(sockets: readonly WebSocket[], timeoutMs: number): Promise<number> {
  let echoed = 0
  const replies = sockets.map(
    (ws, i) =>
      new Promise<void>((resolve) => {
        if (ws.readyState !== WebSocket.OPEN) return resolve()
        ws.once('message', (data: Buffer) => {
          if (data.toString() === String(i)) echoed++
          resolve()
        })
        ws.send(String(i))
      }),
  )
  await Promise.race([Promise.all(replies), sleep(timeoutMs)])
  return echoed
}

async function closeAll(sockets: readonly WebSocket[]): Promise<void> {
  const gone = sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve()
        ws.once('close', () => resolve())
        ws.terminate()
      }),
  )
  await Promise.all(gone)
}
