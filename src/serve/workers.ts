import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '../logger.js'
import { removePidFile, writePidFile } from './pid-file.js'

/** A worker that dies within this long of starting counts as a crash loop. */
const QUICK_DEATH_MS = 5_000
/** Crash-looping workers are restarted at most this many times in a row, then the primary gives up. */
const MAX_QUICK_RESTARTS = 5

export interface PrimaryOptions {
  workers: number
  home: string
  stop: AbortSignal
  logger: Logger
}

/**
 * The cluster primary of `--workers N`: forks N workers running the same command (they share the
 * listening sockets through node:cluster, TLS ticket keys and certificates through storage), writes
 * the pid file, forwards SIGHUP to every worker, and on stop sends SIGTERM and waits for each worker's
 * drain. A worker that exits on its own is replaced, unless workers keep dying at start.
 */
export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const started = new Map<Worker, number>()
  let quickDeaths = 0
  let stopping = false
  let failed = false
  const fork = (): void => {
    const worker = cluster.fork()
    started.set(worker, Date.now())
  }
  const allExited = new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const age = Date.now() - (started.get(worker) ?? 0)
      started.delete(worker)
      if (!stopping) {
        o.logger.error('worker exited', { pid: worker.process.pid, code, signal })
        quickDeaths = age < QUICK_DEATH_MS ? quickDeaths + 1 : 0
        if (quickDeaths > MAX_QUICK_RESTARTS) {
          o.logger.error('workers keep dying at start; stopping', { restarts: quickDeaths })
          failed = true
          stopAll()
        } else fork()
      }
      if (stopping && started.size === 0) resolve()
    })
  })
  const stopAll = (): void => {
    stopping = true
    for (const worker of started.keys()) worker.process.kill('SIGTERM')
  }
  const onHup = (): void => {
    o.logger.info('reloading workers', { workers: started.size })
    for (const worker of started.keys()) worker.process.kill('SIGHUP')
  }
  for (let i = 0; i < o.workers; i++) fork()
  await writePidFile(o.home)
  process.on('SIGHUP', onHup)
  o.logger.info('primary started', { workers: o.workers, pid: process.pid })
  if (o.stop.aborted) stopAll()
  else o.stop.addEventListener('abort', stopAll, { once: true })
  await allExited
  process.off('SIGHUP', onHup)
  await removePidFile(o.home)
  return failed ? 1 : 0
}
