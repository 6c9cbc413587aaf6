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
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(new Error('probe timed out')))
    socket.once('secureConnect', () => {
      tls = `${socket.getProtocol()}, ${socket.getCipher().standardName}`
      // write, not end: a half-closed client makes Node servers drop the request and Caddy cancel it.
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    })
    socket.on('data', (d: Buffer) => (response += d.toString('latin1')))
    socket.once('error', (err: Error) => resolve({ ok: false, detail: err.message }))
    socket.once('close', () => {
      const ok = response.startsWith('HTTP/1.1 200') && response.includes(ORIGIN_BODY)
      const status = response.split('\r\n', 1)[0] ?? ''
      resolve({ ok, detail: ok ? tls : `answered ${JSON.stringify(status || 'nothing')}` })
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
