import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { Reply } from '../proxy/reply.js'
import { endGracefully } from '../proxy/tunnel-sockets.js'
import type { Gateway, Http1Request } from '../proxy/types.js'
import { VERSION } from '../version.js'
import type { CertificateView } from './certificate-view.js'

/** Hosts the embedded default answers: the loopback names its local-CA certificate covers. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])
/** The answer to an upgrade: the status page has no WebSocket. */
const NOT_FOUND = Buffer.from(
  'HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
  'latin1',
)

/** Pure: the built-in page listing the certificates the server manages. */
export function renderStatusPage(certificates: readonly CertificateView[], now: Date): string {
  const rows = certificates.map(
    (c) =>
      `<tr><td>${esc(c.names.join(', '))}</td><td>${esc(c.issuer ?? '')}</td><td>${esc(c.source)}</td>` +
      `<td>${date(c.notAfter)}</td><td>${date(c.nextRenewal)}${c.reason ? ` (${c.reason === 'ari' ? 'ARI window' : 'lifetime'})` : ''}</td>` +
      `<td>${esc(c.lastError ?? '')}</td></tr>`,
  )
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
code{background:#f3f3f3;padding:0 .2rem}</style></head>
<body><h1>Gatehouse is running</h1>
<p>This page is served over HTTPS with a certificate from Gatehouse's local CA. Add <code>[[site]]</code>
blocks to <code>gatehouse.toml</code> to proxy your app; run <code>gatehouse ca trust</code> to make
browsers trust the local CA.</p>
<h2>Certificates</h2>
<table><thead><tr><th>Names</th><th>Issuer</th><th>Source</th><th>Not after</th><th>Next renewal</th><th>Last error</th></tr></thead>
<tbody>
${rows.join('\n') || '<tr><td colspan="6">none yet</td></tr>'}
</tbody></table>
<p><small>gatehouse ${esc(VERSION)} · ${now.toISOString()}</small></p>
</body></html>
`
}

/**
 * The embedded default's only site: every GET or HEAD on a loopback host gets the status page.
 * The rest of the Gateway contract is trivial (no upstreams, no tunnels).
 */
export class StatusPageGateway implements Gateway {
  readonly #list: () => CertificateView[]
  readonly #now: () => Date

  constructor(list: () => CertificateView[], now: () => Date = () => new Date()) {
    this.#list = list
    this.#now = now
  }

  serveHttp1(req: Http1Request, reply: Reply): void {
    const method = req.head.method
    const [status, headers, body] = this.#answer(method)
    reply.head(
      status,
      Object.entries(headers).flatMap(([name, value]) => [name, String(value)]),
    )
    reply.end(method === 'HEAD' ? undefined : body)
  }

  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const method = headers[':method']
    const [status, head, body] = this.#answer(method)
    stream.respond({ ':status': status, ...head })
    stream.end(method === 'HEAD' ? undefined : body)
  }

  upgradeHttp1(req: Http1Request): boolean {
    // A client that never reads nor closes its side must not keep the socket half-open.
    endGracefully(req.socket, NOT_FOUND)
    return true
  }

  serves(host: string): boolean {
    return LOCAL_HOSTS.has(host.toLowerCase())
  }

  update(): void {}

  async close(): Promise<void> {}

  #answer(method: string | undefined): [number, Record<string, string | number>, string] {
    if (method !== 'GET' && method !== 'HEAD') {
      return [405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }, 'method not allowed\n']
    }
    const body = renderStatusPage(this.#list(), this.#now())
    return [
      200,
      {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      },
      body,
    ]
  }
}

function date(d: Date | undefined): string {
  return d ? d.toISOString().replace('.000Z', 'Z') : ''
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )
}
