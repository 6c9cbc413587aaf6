/**
 * A small open-loop load generator for latency at a fixed rate (wrk2 is not in Debian; h2load's
 * `--rps` waits for each connection's previous response, so a slow answer delays the next request
 * and hides itself: coordinated omission). Requests are started on a fixed schedule whatever the
 * server does, over a pool of keep-alive HTTP/1.1 connections larger than the expected concurrency,
 * and each latency is measured from the moment its request was handed to the pool (queueing for a
 * connection included) until the last byte of its body.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { percentile } from './stats.js'

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

/** Runs the schedule; resolves once every request started has finished or failed. */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(o.rate > 0)) throw new RangeError(`rate ${o.rate} must be > 0 requests per second`)
  const url = new URL(o.url)
  const timeout = o.timeoutMs ?? 10_000
  const pool = new Pool(url.origin, {
    connections: o.connections ?? 32,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { rejectUnauthorized: false },
  })
  const latencies: number[] = []
  let errors = 0
  const warmupMs = o.warmupMs ?? 0
  const begin = performance.now()
  const one = async (): Promise<void> => {
    const start = performance.now()
    const recorded = start - begin >= warmupMs
    try {
      const res = await pool.request({ path: url.pathname + url.search, method: 'GET' })
      await res.body.arrayBuffer()
      if (res.statusCode >= 400) errors++
      else if (recorded) latencies.push(performance.now() - start)
    } catch {
      errors++
    }
  }
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000))
  const interval = 1000 / o.rate
  const pending: Promise<void>[] = []
  try {
    while (pending.length < total) {
      // Catch up on every request whose start time has passed (timers fire late, never early).
      const due = Math.min(total, Math.floor((performance.now() - begin) / interval) + 1)
      while (pending.length < due) pending.push(one())
      const next = begin + pending.length * interval
      await sleep(Math.max(0, next - performance.now()))
    }
    const elapsed = performance.now() - begin
    await Promise.all(pending)
    // The last request started at about (total - 1) intervals: count one more for the rate.
    return summarize(total, latencies, errors, (total / (elapsed + interval)) * 1000)
  } finally {
    await pool.close()
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
