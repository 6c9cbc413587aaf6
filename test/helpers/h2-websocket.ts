/**
 * A WebSocket client over HTTP/2 (RFC 8441) in a few lines of framing: Node's http2 client opens the
 * extended CONNECT stream, and frames are written masked and read unmasked (RFC 6455 §5.2, §5.3).
 */
import { randomBytes } from 'node:crypto'
import {
  connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2'

/** An HTTP/2 session to 127.0.0.1:`port` for `servername`, once the server's SETTINGS arrived. */
export async function h2Session(
  port: number,
  servername: string,
  ca: string,
): Promise<{ session: ClientHttp2Session; enableConnectProtocol: boolean }> {
  const session = connect(`https://${servername}:${port}`, {
    ca,
    servername,
    lookup: ((_name: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
      opts.all
        ? cb(null, [{ address: '127.0.0.1', family: 4 }])
        : cb(null, '127.0.0.1', 4)) as never,
  })
  session.on('error', () => {})
  const settings = await new Promise<{ enableConnectProtocol?: boolean }>((resolve, reject) => {
    session.once('remoteSettings', resolve)
    session.once('error', reject)
  })
  return { session, enableConnectProtocol: settings.enableConnectProtocol === true }
}

export interface H2WebSocket {
  stream: ClientHttp2Stream
  status: number
  headers: IncomingHttpHeaders
  /** Frames received, in order. */
  frames: Frame[]
  /** The next frame not yet taken (rejects when the stream ends first or after 5 s). */
  next(): Promise<Frame>
  /** The response body (for an answer other than 200). */
  body(): Promise<string>
  send(opcode: number, payload: Buffer | string): void
  /** Resolves when the stream has closed. */
  closed: Promise<void>
}

export interface Frame {
  opcode: number
  payload: Buffer
}

/** Opens an extended CONNECT stream for `path` with `:protocol` (default `websocket`). */
export async function openH2WebSocket(
  session: ClientHttp2Session,
  authority: string,
  path: string,
  extra: OutgoingHttpHeaders = {},
): Promise<H2WebSocket> {
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': path,
      ':authority': authority,
      'sec-websocket-version': '13',
      ...extra,
    },
    { endStream: false },
  )
  stream.on('error', () => {})
  const frames: Frame[] = []
  const waiting: Array<(f: Frame | undefined) => void> = []
  let buffered = Buffer.alloc(0)
  let raw = Buffer.alloc(0)
  let ended = false
  stream.on('data', (chunk: Buffer) => {
    raw = Buffer.concat([raw, chunk])
    buffered = Buffer.concat([buffered, chunk])
    for (let f = readFrame(buffered); f !== undefined; f = readFrame(buffered)) {
      buffered = buffered.subarray(f.length)
      frames.push(f.frame)
      waiting.shift()?.(f.frame)
    }
  })
  const closed = new Promise<void>((resolve) => stream.once('close', resolve))
  void closed.then(() => {
    ended = true
    for (const w of waiting.splice(0)) w(undefined)
  })
  let taken = 0
  const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    stream.once('response', resolve)
    stream.once('close', () => reject(new Error(`stream closed (code ${stream.rstCode})`)))
  })
  return {
    stream,
    status: Number(headers[':status']),
    headers,
    frames,
    closed,
    next: () => {
      const ready = frames[taken]
      if (ready !== undefined) return Promise.resolve(frames[taken++] as Frame)
      if (ended) return Promise.reject(new Error('stream ended before a frame'))
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame within 5 s')), 5_000)
        waiting.push((f) => {
          clearTimeout(timer)
          if (f === undefined) return reject(new Error('stream ended before a frame'))
          taken++
          resolve(f)
        })
      })
    },
    body: async () => {
      await closed
      return raw.toString()
    },
    send: (opcode, payload) => stream.write(maskedFrame(opcode, Buffer.from(payload))),
  }
}

/** A final frame from a client: masked with a fresh key (RFC 6455 §5.3), payloads under 64 KiB. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0xfe, len >> 8, len & 0xff])
  const key = randomBytes(4)
  const body = Buffer.from(payload)
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number)
  return Buffer.concat([head, key, body])
}

/** A close frame's payload: the status code, then the reason. */
export function closeCode(frame: Frame): { code: number; reason: string } {
  return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() }
}

/** The first whole unmasked frame in `buf` and its length on the wire, if it has arrived. */
function readFrame(buf: Buffer): { frame: Frame; length: number } | undefined {
  if (buf.length < 2) return undefined
  const b1 = buf[1] as number
  let len = b1 & 0x7f
  let at = 2
  if (len === 126) {
    if (buf.length < 4) return undefined
    len = buf.readUInt16BE(2)
    at = 4
  } else if (len === 127) {
    if (buf.length < 10) return undefined
    len = Number(buf.readBigUInt64BE(2))
    at = 10
  }
  if (buf.length < at + len) return undefined
  const opcode = (buf[0] as number) & 0x0f
  return { frame: { opcode, payload: buf.subarray(at, at + len) }, length: at + len }
}
