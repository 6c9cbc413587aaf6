/**
 * A small open-loop load generator for latency at a fixed rate (wrk2 is not in Debian; h2load's
 * `--rps` waits for each connection's previous response, so a slow answer delays the next request
 * and hides itself: coordinated omission). Requests are started on a fixed schedule whatever the
 * server does, over a pool of keep-alive HTTP/1.1 connections larger than the expected concurrency,
 * and each latency is measured from the moment its request was due and handed to the pool
 * (queueing for a connection included) until the last byte of its body.
 *
 * The client is raw sockets and a fixed request: a generator that allocates a request object, a
 * promise and a body stream per request (undici's `Pool.request`, used before) pauses for its own
 * garbage collection, and those pauses showed up as the server's p99: on this kind of machine an
 * nginx origin measured directly had a p99 of 4 to 10 ms at 1,000 req/s.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect as tlsConnect } from 'node:tls'
import { percentile } from './stats.js'
import { ResponseReader } from './response-reader.js'

export interface OpenLoopOptions {
  /** `http://` or `https://` URL; certificates are not verified (the bench's own). */
  url: string
  /** Requests started per second. */
  rate: number
  durationMs: number
  /** Keep-alive connections in the pool. Default 32. */
  connections?: number
  /** A request not finished after this counts as an error. Default 10 000 ms. */
  timeoutMs?: number
  /**
   * Requests started in the first this-many ms are sent but not recorded: the pool opens its
   * connections (TLS handshakes) then. Default 0.
   */
  warmupMs?: number
}

export interface OpenLoopResult {
  /** Requests started (rate × duration), warm-up included. */
  sent: number
  /** Requests recorded (after the warm-up) and answered with a status below 400. */
  ok: number
  errors: number
  /** Achieved start rate, per second. */
  rate: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** What the pool needs to hear back from a connection. */
interface Outcome {
  done(start: number, status: number): void
  failed(start: number): void
}

/** One keep-alive connection carrying one request at a time. */
class Connection {
  #socket: Socket | undefined
  #start = -1
  readonly #reader = new ResponseReader()

  constructor(
    readonly url: URL,
    readonly request: Buffer,
    readonly outcome: Outcome,
  ) {}

  get busy(): boolean {
    return this.#start >= 0
  }

  /** Since when the current request has been waiting, or -1. */
  get since(): number {
    return this.#start
  }

  send(start: number): void {
    this.#start = start
    this.#reader.reset()
    const socket = this.#socket ?? this.#open()
    socket.write(this.request)
  }

  /** Gives up on the current request (timeout): the connection is closed and opened afresh. */
  abandon(): void {
    this.#fail()
  }

  close(): void {
    this.#socket?.destroy()
    this.#socket = undefined
  }

  #open(): Socket {
    const { hostname, port, protocol } = this.url
    const host = hostname.replace(/^\[|\]$/g, '')
    const socket =
      protocol === 'https:'
        ? tlsConnect({
            host,
            port: Number(port || 443),
            servername: /^[\d.]+$|:/.test(host) ? '' : host,
            rejectUnauthorized: false,
            ALPNProtocols: ['http/1.1'],
          })
        : netConnect({ host, port: Number(port || 80) })
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      if (this.busy) this.#fail()
    })
    this.#socket = socket
    return socket
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.#socket || !this.busy) return
    const status = this.#reader.push(chunk)
    if (status === undefined) return
    if (status < 0) return this.#fail()
    const start = this.#start
    this.#start = -1
    if (this.#reader.closeAfter) this.close()
    this.outcome.done(start, status)
  }

  #fail(): void {
    const start = this.#start
    this.#start = -1
    this.close()
    this.outcome.failed(start)
  }
}

/** Runs the schedule; resolves once every request started has finished or failed. */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(o.rate > 0)) throw new RangeError(`rate ${o.rate} must be > 0 requests per second`)
  const url = new URL(o.url)
  const timeout = o.timeoutMs ?? 10_000
  const warmupMs = o.warmupMs ?? 0
  const request = Buffer.from(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      'User-Agent: gatehouse-open-loop\r\n\r\n',
    'latin1',
  )
  const latencies: number[] = []
  const queue: number[] = []
  let errors = 0
  let finished = 0
  let wake: (() => void) | undefined
  const begin = performance.now()
  const settle = (): void => {
    finished++
    const next = queue.shift()
    if (next !== undefined) free()?.send(next)
    wake?.()
  }
  const outcome: Outcome = {
    done(start, status) {
      if (status >= 400) errors++
      else if (start - begin >= warmupMs) latencies.push(performance.now() - start)
      settle()
    },
    failed() {
      errors++
      settle()
    },
  }
  const pool = Array.from(
    { length: o.connections ?? 32 },
    () => new Connection(url, request, outcome),
  )
  const free = (): Connection | undefined => pool.find((c) => !c.busy)
  const start = (at: number): void => {
    const c = free()
    if (c) c.send(at)
    else queue.push(at)
  }
  // One coarse watchdog instead of a timer per request.
  const watchdog = setInterval(() => {
    const now = performance.now()
    for (const c of pool) if (c.busy && now - c.since > timeout) c.abandon()
    while (queue.length > 0 && now - (queue[0] as number) > timeout) {
      queue.shift()
      outcome.failed(-1)
    }
  }, 100)
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000))
  const interval = 1000 / o.rate
  let started = 0
  try {
    while (started < total) {
      // Catch up on every request whose start time has passed (timers fire late, never early).
      const due = Math.min(total, Math.floor((performance.now() - begin) / interval) + 1)
      while (started < due) {
        started++
        start(performance.now())
      }
      await sleep(Math.max(0, begin + started * interval - performance.now()))
    }
    const elapsed = performance.now() - begin
    while (finished < total) await new Promise<void>((resolve) => (wake = resolve))
    // The last request started at about (total - 1) intervals: count one more for the rate.
    return summarize(total, latencies, errors, (total / (elapsed + interval)) * 1000)
  } finally {
    clearInterval(watchdog)
    for (const c of pool) c.close()
  }
}

function summarize(
  sent: number,
  latencies: number[],
  errors: number,
  rate: number,
): OpenLoopResult {
  if (latencies.length === 0)
    return { sent, ok: 0, errors, rate, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }
  return {
    sent,
    ok: latencies.length,
    errors,
    rate,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.reduce((a, b) => Math.max(a, b)),
  }
}
