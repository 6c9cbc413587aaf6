/**
 * Configuration of the native peers of the proxy bench, as their users would write it for a TLS
 * terminating reverse proxy: one worker/thread/GOMAXPROCS (one core), TLS 1.3 only with the same
 * ECDSA P-256 certificate, HTTP/1.1 keep-alive to the upstream, `/ws` to the WebSocket upstream, no
 * access log (the reference figures of issue 4 §6 were measured without one). Pure functions.
 */
import { join } from 'node:path'

export interface ProxyConfigInput {
  /** The proxy's TLS port on 127.0.0.1. */
  port: number
  /** PEM files of the certificate (`crt`, `key`) and both in one file (`combined`, HAProxy). */
  cert: { crt: string; key: string; combined: string }
  /** Port of the HTTP origin on 127.0.0.1. */
  originPort: number
  /** Port of the WebSocket upstream on 127.0.0.1. */
  wsPort: number
  /** Scratch folder for pid files, temp folders and logs. */
  work: string
  /** Most client connections the proxy must hold at once (the WebSocket phase). */
  maxConnections: number
}

/** A request count no bench run reaches: keep-alive connections are never closed for count. */
const UNLIMITED_REQUESTS = 100_000_000

/** The origin's fixed body; the bench checks every proxy returns exactly this before measuring. */
export const ORIGIN_BODY = 'hello from the origin\n'

function nginxPrelude(work: string, connections: number, workers = 1): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `${t}_temp_path ${join(work, `${t}-temp`)};`)
    .join(' ')
  // One worker runs without a master (one process to measure); more need the master to start them.
  const processes =
    workers === 1 ? 'master_process off; worker_processes 1;' : `worker_processes ${workers};`
  return `daemon off; ${processes}
pid ${join(work, 'nginx.pid')}; error_log ${join(work, 'error.log')} error;
events { worker_connections ${connections}; }
http { access_log off; ${temp}`
}

/**
 * The origin: nginx answering every request with {@link ORIGIN_BODY}, keep-alive without a
 * request limit (nginx 1.22 closes a connection after 1,000 requests by default).
 */
export function originNginxConfig(port: number, work: string, connections: number): string {
  return `${nginxPrelude(work, connections)}
  keepalive_requests ${UNLIMITED_REQUESTS}; keepalive_timeout 300s;
  server { listen 127.0.0.1:${port} default_server;
    location / { default_type text/plain; return 200 ${JSON.stringify(ORIGIN_BODY)}; } }
}
`
}

/**
 * nginx as the proxy: an upstream block with a keep-alive pool (`keepalive` with HTTP/1.1 and an
 * empty Connection header, the documented recipe), HTTP/2 on the same listener, WebSocket upgrade
 * forwarded on `/ws` with a one-day read timeout. The client-side request limits are lifted
 * (`keepalive_requests`, 1,000 by default in 1.22, HTTP/2 included since 1.19.7) so no load
 * generator connection is closed mid-run.
 */
export function nginxProxyConfig(i: ProxyConfigInput, workers = 1): string {
  // A tunnel holds two connections; with only twice as many slots as tunnels nginx ran out while
  // opening 3,000 ("worker_connections are not enough, reusing connections") and reset handshakes.
  // Slots are cheap (~0.5 KiB each, touched only when used), so leave ample room.
  // Several workers: `reuseport` lets the kernel spread connections evenly (each has its own
  // open-file limit, the reason to run more than one in the WebSocket phase).
  const reuse = workers > 1 ? ' reuseport' : ''
  return `${nginxPrelude(i.work, 4 * i.maxConnections + 1024, workers)}
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream origin { server 127.0.0.1:${i.originPort}; keepalive 64;
    keepalive_requests ${UNLIMITED_REQUESTS}; }
  upstream wsup { server 127.0.0.1:${i.wsPort}; }
  server { listen 127.0.0.1:${i.port} ssl http2 default_server${reuse}; server_name localhost;
    ssl_certificate ${i.cert.crt}; ssl_certificate_key ${i.cert.key}; ssl_protocols TLSv1.3;
    keepalive_requests ${UNLIMITED_REQUESTS};
    location / { proxy_pass http://origin; proxy_http_version 1.1;
      proxy_set_header Connection ""; }
    location /ws { proxy_pass http://wsup; proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1d; proxy_send_timeout 1d; } }
}
`
}

/**
 * HAProxy in the foreground (`-db`), one thread, `http-reuse always` (server connections shared
 * between client connections, as in the reference figures), `/ws` to the WebSocket backend with a
 * one-day tunnel timeout.
 */
export function haproxyConfig(i: ProxyConfigInput): string {
  return `global
  nbthread 1
  maxconn ${i.maxConnections + 64}
  pidfile ${join(i.work, 'haproxy.pid')}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1d
frontend bench
  bind 127.0.0.1:${i.port} ssl crt ${i.cert.combined} alpn h2,http/1.1 ssl-min-ver TLSv1.3
  acl is_ws path /ws
  acl is_ws path_beg /ws/
  use_backend wsup if is_ws
  default_backend origin
backend origin
  http-reuse always
  server origin 127.0.0.1:${i.originPort}
backend wsup
  server wsup 127.0.0.1:${i.wsPort}
`
}

/**
 * Caddy's native JSON (no Caddyfile adapter at start-up): `reverse_proxy` to the origin (Caddy's
 * transport keeps upstream connections alive by default, and forwards WebSocket upgrades), `/ws`
 * to the WebSocket upstream, TLS 1.3 only, automatic HTTPS off, the certificate from files.
 */
export function caddyConfig(i: ProxyConfigInput): unknown {
  const proxyTo = (port: number): unknown => ({
    handler: 'reverse_proxy',
    upstreams: [{ dial: `127.0.0.1:${port}` }],
  })
  return {
    admin: { disabled: true },
    logging: { logs: { default: { level: 'ERROR' } } },
    storage: { module: 'file_system', root: join(i.work, 'caddy-data') },
    apps: {
      http: {
        servers: {
          bench: {
            listen: [`127.0.0.1:${i.port}`],
            routes: [
              { match: [{ path: ['/ws', '/ws/*'] }], handle: [proxyTo(i.wsPort)] },
              { handle: [proxyTo(i.originPort)] },
            ],
            tls_connection_policies: [{ protocol_min: 'tls1.3' }],
            automatic_https: { disable: true },
          },
        },
      },
      tls: { certificates: { load_files: [{ certificate: i.cert.crt, key: i.cert.key }] } },
    },
  }
}
