/**
 * Session resumption of returning clients (issue 3 §8: >= 95% resumed; nginx resumes 98.6%, plain
 * Node about 50%): Gatehouse `createServer()`, plain Node `https`, nginx and Caddy side by side,
 * each serving the same ECDSA P-256 certificate.
 *
 *   npm run bench -- resumption [--clients 200] [--runs 3] [--only gatehouse,node-https,nginx,caddy]
 *
 * A returning client is what a browser is: it visits (full handshake, one HTTP/1.1 request, keeps
 * the session the server gave it, closes), and comes back later with that session. Each run has
 * `--clients` distinct clients visit, then come back in the same order, so a server's ticket or
 * cache must hold every session across the others' visits. The figure is the share of returns the
 * server resumed (`isSessionReused()` on the client), per TLS version, median of the runs; once
 * returning to the same process, once after the server restarted in between (ticket keys that
 * live only in memory are gone then). Servers
 * run pinned to core 0, this client to core 1; no timing is involved, so load does not skew it.
 */
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type SecureVersion } from 'node:tls'
import { parseArgs } from 'node:util'
import { freePort } from '../src/testing/ports.js'
import { markdownTable, median } from './lib/stats.js'
import {
  benchName,
  certificateSet,
  reexecOnClientCore,
  startPeer,
  timeToReady,
  versionOf,
  type Peer,
  type PeerKind,
} from './lib/tls-peers.js'

/** Fewer runs than this give no meaningful median. */
const MIN_RUNS = 3
/** A visit that has not finished after this is a failed one. */
const VISIT_TIMEOUT_MS = 10_000
const VERSIONS: readonly SecureVersion[] = ['TLSv1.3', 'TLSv1.2']
/** Returning to the same server process, or to the same server after a restart. */
const SCENARIOS = ['same process', 'restart'] as const

interface Contender {
  key: string
  label: string
  kind: PeerKind
}

const CONTENDERS: readonly Contender[] = [
  { key: 'gatehouse', label: 'Gatehouse `createServer({ certDir })`', kind: 'gatehouse' },
  { key: 'node-https', label: 'Node `https.createServer`', kind: 'node-https' },
  { key: 'nginx', label: 'nginx (defaults: tickets on)', kind: 'nginx' },
  { key: 'caddy', label: 'Caddy (defaults)', kind: 'caddy' },
]

interface Visit {
  reused: boolean
  session: Buffer | undefined
}

/** One visit: handshake, `GET /` with `Connection: close`, read to the end; keeps the last session. */
function visit(port: number, version: SecureVersion, session?: Buffer): Promise<Visit> {
  return new Promise((resolve, reject) => {
    const name = benchName(0)
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: name,
      minVersion: version,
      maxVersion: version,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      ...(session ? { session } : {}),
    })
    let latest: Buffer | undefined
    let reused = false
    socket.on('session', (s: Buffer) => (latest = s))
    socket.once('secureConnect', () => {
      reused = socket.isSessionReused()
      socket.end(`GET / HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`)
    })
    socket.on('data', () => {})
    socket.setTimeout(VISIT_TIMEOUT_MS, () => socket.destroy(new Error('visit timed out')))
    socket.once('error', reject)
    socket.once('close', () => resolve({ reused, session: latest }))
  })
}

/** Share of `clients` returning clients resumed, as a percentage; `between` runs before they return. */
async function run(
  port: number,
  version: SecureVersion,
  clients: number,
  between: () => Promise<void>,
): Promise<number> {
  const sessions: (Buffer | undefined)[] = []
  for (let i = 0; i < clients; i++) sessions.push((await visit(port, version)).session)
  await between()
  let resumed = 0
  for (const session of sessions) {
    if (session && (await visit(port, version, session)).reused) resumed++
  }
  return (100 * resumed) / clients
}

async function main(): Promise<number> {
  const pinned = reexecOnClientCore()
  if (pinned !== undefined) return pinned
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '200' },
      runs: { type: 'string', default: String(MIN_RUNS) },
      only: { type: 'string', default: CONTENDERS.map((c) => c.key).join(',') },
      dir: { type: 'string', default: join(tmpdir(), 'gatehouse-bench-startup') },
    },
  })
  const clients = Number(values.clients)
  const runs = Number(values.runs)
  if (!Number.isInteger(runs) || runs < MIN_RUNS)
    throw new RangeError(`--runs ${values.runs} must be an integer >= ${MIN_RUNS}`)
  if (!Number.isInteger(clients) || clients < 10)
    throw new RangeError(`--clients ${values.clients} must be an integer >= 10`)
  const wanted = values.only.split(',')
  const unknown = wanted.filter((w) => !CONTENDERS.some((c) => c.key === w))
  if (unknown.length > 0)
    throw new RangeError(
      `--only ${unknown.join(',')} unknown; use ${CONTENDERS.map((c) => c.key).join(',')}`,
    )
  const contenders = CONTENDERS.filter((c) => wanted.includes(c.key))
  console.log(`# ${new Date().toISOString()}, load average ${loadavg()[0]?.toFixed(1)}`)
  console.log(
    `# node ${process.version}; ${versionOf('nginx', ['-v'])}; caddy ${versionOf('caddy', ['version'])}`,
  )
  const certs = await certificateSet(values.dir, 1)
  const peers: { c: Contender; peer: Peer; port: number; work: string }[] = []
  const results = new Map<string, number[]>()
  try {
    for (const c of contenders) {
      const port = await freePort()
      const work = join(values.dir, `resumption-${c.key}`)
      const peer = startPeer(c.kind, { certs, names: 1, port, work })
      peers.push({ c, peer, port, work })
      await timeToReady(peer, port, benchName(0))
    }
    for (let r = 1; r <= runs; r++) {
      for (const p of peers) {
        // The server restarted between the visits and the returns: a deploy, a crash, a reboot.
        const restart = async (): Promise<void> => {
          await p.peer.stop()
          p.peer = startPeer(p.c.kind, { certs, names: 1, port: p.port, work: p.work })
          await timeToReady(p.peer, p.port, benchName(0))
        }
        for (const scenario of SCENARIOS) {
          for (const version of VERSIONS) {
            const between = scenario === 'restart' ? restart : async () => {}
            const share = await run(p.port, version, clients, between)
            const key = `${p.c.key} ${scenario} ${version}`
            results.set(key, [...(results.get(key) ?? []), share])
            console.log(`run ${r} ${key}: ${share.toFixed(1)}% of ${clients} resumed`)
          }
        }
      }
    }
  } finally {
    await Promise.all(peers.map(({ peer }) => peer.stop()))
  }
  const cell = (key: string): string => `${median(results.get(key) ?? []).toFixed(1)}%`
  const rows = contenders.map((c) => [
    c.label,
    ...SCENARIOS.flatMap((s) => VERSIONS.map((v) => cell(`${c.key} ${s} ${v}`))),
  ])
  const headers = SCENARIOS.flatMap((s) => VERSIONS.map((v) => `${v.slice(3)}, ${s}`))
  console.log(`\n${markdownTable(['Server', ...headers], rows)}`)
  console.log(`# done, load average ${loadavg()[0]?.toFixed(1)}`)
  return 0
}

process.exitCode = await main()
