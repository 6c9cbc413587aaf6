/**
 * The rows of the proxy bench: which proxy, how it is started, and which phases it takes part in
 * (HTTP/2 needs ALPN h2 on the client side; the WebSocket phase needs a `/ws` route).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  caddyConfig,
  haproxyConfig,
  nginxProxyConfig,
  type ProxyConfigInput,
} from './proxy-configs.js'

export interface ProxyContender {
  key: string
  label: string
  /** Serves HTTP/2 clients (ALPN h2). */
  h2: boolean
  /** Has the `/ws` route to the WebSocket upstream. */
  ws: boolean
  /** Measured in the HTTP/1.1 and latency phases (false for a variant that only adds an h2 row). */
  h1: boolean
  /**
   * Processes that share the connections (workers); default 1. Each process has its own open-file
   * limit, so a proxy of two can hold twice the tunnels of one.
   */
  processes?: number
  command(input: ProxyConfigInput): [string, string[], Record<string, string>]
}

const libFile = (name: string): string => join(import.meta.dirname, name)

function nodeProxy(key: string, label: string, h2 = false): ProxyContender {
  return {
    key,
    label,
    h2,
    ws: false,
    h1: !h2,
    command: (i) => [
      process.execPath,
      [
        libFile('node-proxy-server.js'),
        key,
        String(i.port),
        i.cert.crt,
        i.cert.key,
        `http://127.0.0.1:${i.originPort}`,
      ],
      {},
    ],
  }
}

function gatehouse(key: string, label: string, accessLog: boolean): ProxyContender {
  return {
    key,
    label,
    h2: true,
    ws: true,
    h1: true,
    command: (i) => [
      process.execPath,
      [
        libFile('gatehouse-proxy-server.js'),
        String(i.port),
        i.cert.crt,
        i.cert.key,
        `http://127.0.0.1:${i.originPort}`,
        `http://127.0.0.1:${i.wsPort}`,
        accessLog ? join(i.work, 'access.log') : 'off',
      ],
      { GATEHOUSE_HOME: join(i.work, 'home') },
    ],
  }
}

/**
 * `gatehouse serve --workers N` from a gatehouse.toml: the product path, node:cluster workers
 * sharing the listening port. In the WebSocket phase only (`h1` off: the other phases measure one
 * core, and a second process would only add scheduling).
 */
function gatehouseWorkers(workers: number): ProxyContender {
  return {
    key: `gatehouse-${workers}w`,
    label: `Gatehouse \`serve --workers ${workers}\` (no access log)`,
    h2: false,
    ws: true,
    h1: false,
    processes: workers,
    command: (i) => {
      const file = join(i.work, 'gatehouse.toml')
      writeFileSync(file, gatehouseToml(i, workers))
      // build/bench/lib → the repository's bin/
      const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'gatehouse.js')
      return [
        process.execPath,
        [bin, 'serve', '--config', file],
        { GATEHOUSE_HOME: join(i.work, 'home') },
      ]
    },
  }
}

function gatehouseToml(i: ProxyConfigInput, workers: number): string {
  return [
    `home = ${JSON.stringify(join(i.work, 'home'))}`,
    '[https]',
    'host = "127.0.0.1"',
    `port = ${i.port}`,
    '[http]',
    'port = -1',
    '[tls]',
    'cert_lookup = false',
    '[[tls.files]]',
    `cert = ${JSON.stringify(i.cert.crt)}`,
    `key = ${JSON.stringify(i.cert.key)}`,
    '[server]',
    `workers = ${workers}`,
    '[log]',
    'access_log = "off"',
    'level = "warn"',
    '[[site]]',
    'hosts = ["localhost"]',
    '[[site.route]]',
    'path = "/ws"',
    `proxy = "127.0.0.1:${i.wsPort}"`,
    'websocket_idle_timeout = "1d"',
    '[[site.route]]',
    'path = "/"',
    `proxy = "127.0.0.1:${i.originPort}"`,
    '',
  ].join('\n')
}

export const PROXY_CONTENDERS: readonly ProxyContender[] = [
  gatehouse('gatehouse', 'Gatehouse (routes, header rules, JSON access log to a file)', true),
  gatehouse('gatehouse-lean', 'Gatehouse (routes only, no access log)', false),
  gatehouseWorkers(2),
  {
    key: 'nginx-2w',
    label: 'nginx (2 workers)',
    h2: false,
    ws: true,
    h1: false,
    processes: 2,
    command: (i) => {
      const file = join(i.work, 'nginx.conf')
      writeFileSync(file, nginxProxyConfig(i, 2))
      return ['nginx', ['-p', i.work, '-e', join(i.work, 'error.log'), '-c', file], {}]
    },
  },
  {
    key: 'nginx',
    label: 'nginx (1 worker)',
    h2: true,
    ws: true,
    h1: true,
    command: (i) => {
      const file = join(i.work, 'nginx.conf')
      writeFileSync(file, nginxProxyConfig(i))
      return ['nginx', ['-p', i.work, '-e', join(i.work, 'error.log'), '-c', file], {}]
    },
  },
  {
    key: 'haproxy',
    label: 'HAProxy (1 thread)',
    h2: true,
    ws: true,
    h1: true,
    command: (i) => {
      const file = join(i.work, 'haproxy.cfg')
      writeFileSync(file, haproxyConfig(i))
      return ['haproxy', ['-db', '-f', file], {}]
    },
  },
  {
    key: 'caddy',
    label: 'Caddy (GOMAXPROCS=1)',
    h2: true,
    ws: true,
    h1: true,
    command: (i) => {
      const file = join(i.work, 'caddy.json')
      writeFileSync(file, JSON.stringify(caddyConfig(i)))
      const env = { HOME: i.work, XDG_DATA_HOME: i.work, XDG_CONFIG_HOME: i.work, GOMAXPROCS: '1' }
      return ['caddy', ['run', '--config', file], env]
    },
  },
  nodeProxy('undici', 'undici `Pool.stream` on `https.createServer`'),
  nodeProxy(
    'undici-dispatch',
    'floor: undici `dispatch` on `https.createServer`, fields passed through',
  ),
  nodeProxy(
    'tls-dispatch',
    'ceiling: HTTP/1.1 split by hand on the TLS socket (no node:http, no checks), undici `dispatch`',
  ),
  nodeProxy('http-proxy', 'http-proxy (keep-alive agent)'),
  nodeProxy('http-proxy-3', 'http-proxy-3 (keep-alive agent)'),
  nodeProxy('fastify', 'fastify + @fastify/http-proxy'),
  nodeProxy('fastify-h2', 'fastify (`http2: true`) + @fastify/http-proxy', true),
]
