/**
 * The closed-loop load generators of the proxy bench, run pinned to the client core: wrk for
 * HTTP/1.1 keep-alive, h2load for HTTP/2. Their text output is parsed by pure functions (tested
 * against captured output) so a failed or partial run is reported, never read as zero.
 */
import { spawnSync } from 'node:child_process'

export interface LoadResult {
  /** Responses that arrived with a 2xx or 3xx status. */
  ok: number
  /** Responses with another status, plus socket errors and timeouts. */
  failed: number
  /** The generator's own measured duration, seconds. */
  seconds: number
  /** `ok / seconds`. */
  perSecond: number
  /** wrk only: its 99th percentile latency, ms (h2load prints no percentiles). */
  p99Ms?: number
  /** h2load only: the negotiated TLS version, cipher and application protocol. */
  negotiated?: string
  /** h2load only: the application protocol (ALPN), `h2` or `http/1.1`. */
  protocol?: string
}

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

/** `1.23ms`, `850.00us`, `1.02s`, `2.00m` (wrk's formats) in ms. */
export function parseWrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (!m) throw new Error(`cannot read wrk duration ${JSON.stringify(text)}`)
  return Number(m[1]) * (DURATION_UNITS_MS[m[2] as string] as number)
}

/** Reads `wrk --latency` output; throws when it holds no request count (wrk failed). */
export function parseWrk(out: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+\w+),/.exec(out)
  if (!total) throw new Error(`wrk printed no request count: ${out.trim().slice(-500)}`)
  const requests = Number(total[1])
  const seconds = parseWrkDuration(total[2] as string) / 1000
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const ok = requests - non2xx
  const p99 = /^\s+99%\s+(\S+)$/m.exec(out)?.[1]
  return {
    ok,
    failed: non2xx + socketErrors,
    seconds,
    perSecond: ok / seconds,
    ...(p99 === undefined ? {} : { p99Ms: parseWrkDuration(p99) }),
  }
}

/** Reads h2load output; throws when it holds no request summary (h2load failed to connect). */
export function parseH2load(out: string): LoadResult {
  const finished = /finished in ([\d.]+)(ms|s),/.exec(out)
  const requests =
    /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    )
  if (!finished || !requests)
    throw new Error(`h2load printed no summary: ${out.trim().slice(-500)}`)
  const seconds = Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1)
  // In timed mode the status counts may include a few responses that ended after the measured
  // period, so they can exceed "succeeded": count the bad statuses, not the good ones.
  const codes = /status codes: \d+ 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out)
  const badStatus = codes ? Number(codes[1]) + Number(codes[2]) : 0
  const succeeded = Number(requests[1])
  const ok = Math.max(0, succeeded - badStatus)
  const field = (re: RegExp): string => re.exec(out)?.[1]?.trim() ?? '?'
  return {
    ok,
    failed: badStatus + requests.slice(2).reduce((sum, n) => sum + Number(n), 0),
    seconds,
    perSecond: ok / seconds,
    protocol: field(/Application protocol: (.+)/),
    negotiated: [/TLS Protocol: (.+)/, /Cipher: (.+)/, /Application protocol: (.+)/]
      .map(field)
      .join(', '),
  }
}

export interface ClosedLoopOptions {
  url: string
  /** Concurrent connections. */
  connections: number
  durationS: number
  /** `taskset -c` list for the generator. */
  cpu: string
}

function run(command: string, args: readonly string[], cpu: string, timeoutMs: number): string {
  const res = spawnSync('taskset', ['-c', cpu, command, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  if (res.error) throw new Error(`${command} failed: ${res.error.message}`)
  return `${res.stdout}${res.stderr}`
}

/** Generous bound on a run: its duration plus time to connect and wind down. */
const slack = (durationS: number): number => durationS * 1000 + 30_000

/** `wrk -t1 -c<connections> -d<duration>s --latency <url>`: HTTP/1.1 keep-alive, one thread. */
export function wrk(o: ClosedLoopOptions): LoadResult {
  const args = ['-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--latency', o.url]
  return parseWrk(run('wrk', args, o.cpu, slack(o.durationS)))
}

/**
 * `h2load -c<connections> -m<streams> -D <duration> <url>`: HTTP/2 over TLS (ALPN h2), `streams`
 * concurrent streams per connection. A server that does not select h2 fails the run.
 */
export function h2load(o: ClosedLoopOptions & { streams: number }): LoadResult {
  const args = ['-c', String(o.connections), '-m', String(o.streams), '-D', String(o.durationS)]
  const result = parseH2load(run('h2load', [...args, o.url], o.cpu, slack(o.durationS)))
  // h2load falls back to HTTP/1.1 when the server does not select h2: that is not this measurement.
  if (result.protocol === '?')
    throw new Error(`h2load completed no TLS handshake with ${o.url} (${result.failed} failed)`)
  if (result.protocol !== 'h2')
    throw new Error(`h2load negotiated ${result.protocol} with ${o.url}, not h2`)
  return result
}
