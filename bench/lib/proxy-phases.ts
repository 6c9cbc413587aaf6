/**
 * The measurements of the proxy bench, one function per phase. Each returns plain samples; the
 * bench takes medians and prints the tables.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { openIdleWebSockets } from './idle-websockets.js'
import { h2load, wrk, type LoadResult } from './load-generators.js'
import { openLoop, type OpenLoopResult } from './open-loop.js'
import { treeCpuMs, treeRssKiB } from './pinned-process.js'

/** One closed-loop run through one proxy. */
export interface ThroughputSample {
  perSecond: number
  /** The proxy's CPU (user + system, whole process tree) divided by the successful requests. */
  usPerRequest: number
  failed: number
  p99Ms?: number
  negotiated?: string
}

/** Runs `load` and charges the proxy `pid` the CPU it used meanwhile. */
function charged(pid: number, load: () => LoadResult): ThroughputSample {
  const before = treeCpuMs(pid)
  const r = load()
  const cpuMs = treeCpuMs(pid) - before
  if (r.ok === 0) throw new Error(`no request completed in ${r.seconds} s (${r.failed} failed)`)
  return {
    perSecond: r.perSecond,
    usPerRequest: (cpuMs * 1000) / r.ok,
    failed: r.failed,
    ...(r.p99Ms === undefined ? {} : { p99Ms: r.p99Ms }),
    ...(r.negotiated === undefined ? {} : { negotiated: r.negotiated }),
  }
}

export interface LoadShape {
  /** `taskset -c` list of the load generator. */
  cpu: string
  durationS: number
  /** wrk connections (HTTP/1.1 keep-alive). */
  h1Connections: number
  /** h2load connections and concurrent streams per connection. */
  h2Connections: number
  h2Streams: number
}

/** HTTP/1.1 keep-alive through the proxy on `port` (wrk, one thread). */
export function h1Run(pid: number, port: number, shape: LoadShape): ThroughputSample {
  const url = `https://localhost:${port}/`
  return charged(pid, () =>
    wrk({ url, connections: shape.h1Connections, durationS: shape.durationS, cpu: shape.cpu }),
  )
}

/** HTTP/2 clients through the proxy on `port` (h2load), HTTP/1.1 to the origin. */
export function h2Run(pid: number, port: number, shape: LoadShape): ThroughputSample {
  const url = `https://localhost:${port}/`
  return charged(pid, () =>
    h2load({
      url,
      connections: shape.h2Connections,
      streams: shape.h2Streams,
      durationS: shape.durationS,
      cpu: shape.cpu,
    }),
  )
}

export interface LatencyShape {
  /** Requests per second, open loop. */
  rate: number
  durationMs: number
  /** Requests of the first this-many ms are not recorded (connections are opened then). */
  warmupMs: number
}

/** Latency at a fixed rate to `url` (the origin directly, or a proxy). */
export function latencyRun(url: string, shape: LatencyShape): Promise<OpenLoopResult> {
  return openLoop({
    url,
    rate: shape.rate,
    durationMs: shape.durationMs,
    warmupMs: shape.warmupMs,
  })
}

/** Memory a proxy holds for idle WebSockets, and whether they stayed usable. */
export interface WebSocketSample {
  requested: number
  open: number
  failed: number
  firstError?: string
  /** Proxy RSS (process tree) before opening and after holding them idle, KiB. */
  rssBeforeKiB: number
  rssAfterKiB: number
  /** (after - before) / open. */
  kibPerConnection: number
  /** Connections that answered an echo after the idle period. */
  echoed: number
  /** Connections closed during the idle period (a proxy timeout would show here). */
  closedWhileIdle: number
}

export interface WebSocketShape {
  count: number
  holdMs: number
}

/** Opens `count` WebSockets through the proxy on `port`, holds them idle, measures, closes them. */
export async function webSocketRun(
  pid: number,
  port: number,
  shape: WebSocketShape,
): Promise<WebSocketSample> {
  const rssBeforeKiB = treeRssKiB(pid)
  const set = await openIdleWebSockets({ url: `wss://localhost:${port}/ws`, count: shape.count })
  try {
    await sleep(shape.holdMs)
    const rssAfterKiB = treeRssKiB(pid)
    const closedWhileIdle = set.closedSince()
    const echoed = await set.echo(30_000)
    return {
      requested: shape.count,
      open: set.open,
      failed: set.failed,
      ...(set.firstError === undefined ? {} : { firstError: set.firstError }),
      rssBeforeKiB,
      rssAfterKiB,
      kibPerConnection: set.open > 0 ? (rssAfterKiB - rssBeforeKiB) / set.open : NaN,
      echoed,
      closedWhileIdle,
    }
  } finally {
    await set.close()
  }
}
