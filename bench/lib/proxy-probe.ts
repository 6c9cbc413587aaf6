/**
 * Is a proxy up and really proxying? One HTTP/1.1 request over TLS (SNI `localhost`) whose answer
 * must be 200 with the origin's body; also reports what TLS the proxy negotiated, for the table.
 */
import { connect } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { ORIGIN_BODY } from './proxy-configs.js'

export interface ProbeResult {
  ok: boolean
  /** `TLSv1.3, TLS_AES_128_GCM_SHA256`, or the reason the probe failed. */
  detail: string
}

/** Milliseconds one probe may take. */
const PROBE_TIMEOUT_MS = 5_000

export function probeProxy(port: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: false,
    })
    let response = ''
    let tls = ''
    const finish = (result: ProbeResult): void => {
      resolve(result)
      socket.destroy()
    }
    const answered = (): boolean =>
      response.startsWith('HTTP/1.1 200') && response.includes(ORIGIN_BODY)
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ ok: false, detail: 'probe timed out' }))
    socket.once('secureConnect', () => {
      tls = `${socket.getProtocol()}, ${socket.getCipher().standardName}`
      // write, not end: a half-closed client makes Node servers drop the request and Caddy cancel it.
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    })
    // Done at the body, not at close: some proxies forward the origin's `Connection: keep-alive`
    // (a hop-by-hop header) over the client's `close` and leave the connection open.
    socket.on('data', (d: Buffer) => {
      response += d.toString('latin1')
      if (answered()) finish({ ok: true, detail: tls })
    })
    socket.once('error', (err: Error) => finish({ ok: false, detail: err.message }))
    socket.once('close', () => {
      const status = response.split('\r\n', 1)[0] ?? ''
      resolve({ ok: false, detail: `answered ${JSON.stringify(status || 'nothing')}` })
    })
  })
}

/**
 * Probes every 100 ms until the proxy answers correctly, `exited` settles (the process ended), or
 * `timeoutMs` passes; the last probe's result otherwise.
 */
export async function waitForProxy(
  port: number,
  exited: Promise<string>,
  timeoutMs: number,
): Promise<ProbeResult> {
  let gone: string | undefined
  void exited.then((how) => (gone = how))
  const deadline = performance.now() + timeoutMs
  let last: ProbeResult = { ok: false, detail: 'not probed' }
  while (performance.now() < deadline) {
    if (gone !== undefined) return { ok: false, detail: `process ended (${gone})` }
    last = await probeProxy(port)
    if (last.ok) return last
    await sleep(100)
  }
  return last
}
