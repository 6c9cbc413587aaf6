import cluster from 'node:cluster'
import type { GatehouseConfig } from '../config/types.js'
import { jsonLogger, type Logger } from '../logger.js'
import type { Gateway, GatewayOptions } from '../proxy/types.js'
import { removePidFile, writePidFile } from './pid-file.js'
import { startGatehouse, type RunningGatehouse } from './start-gatehouse.js'
import { runPrimary } from './workers.js'

export interface RunGatehouseOptions {
  /** Loads (or re-loads, on SIGHUP) the configuration; a rejection on reload keeps the running one. */
  load: () => Promise<GatehouseConfig>
  createGateway: (options: GatewayOptions) => Gateway
  /** Resolves when the process should drain and stop (SIGTERM/SIGINT). */
  stop: AbortSignal
  /** Where log lines go. Default process.stderr. */
  logWrite?: (line: string) => void
  stdout?: NodeJS.WritableStream
  /** Told once the server listens (for tests and `--ready-fd` style integrations). */
  onReady?: (running: RunningGatehouse) => void
}

/**
 * The process around {@link startGatehouse}: pid file, SIGHUP reload, SIGTERM/SIGINT drain, and with
 * `server.workers > 1` a cluster of worker processes sharing the listening sockets (the primary only
 * forwards signals and restarts workers that die). Resolves with the exit code.
 */
export async function runGatehouse(o: RunGatehouseOptions): Promise<number> {
  const config = await o.load()
  const worker = cluster.isWorker ? cluster.worker?.id : undefined
  const logger = jsonLogger({
    level: config.log.level,
    ...(o.logWrite ? { write: o.logWrite } : {}),
    ...(worker !== undefined ? { base: { worker } } : {}),
  })
  if (cluster.isPrimary && config.server.workers > 1) {
    return runPrimary({ workers: config.server.workers, home: config.home, stop: o.stop, logger })
  }
  const running = await startGatehouse(config, {
    logger,
    createGateway: o.createGateway,
    ...(o.stdout ? { stdout: o.stdout } : {}),
    ...(worker !== undefined ? { accessLogFields: { worker } } : {}),
  })
  if (cluster.isPrimary) await writePidFile(config.home)
  // Reloads run one after another: a second SIGHUP while one applies waits for it.
  let reloading = Promise.resolve()
  const onHup = (): void => {
    reloading = reloading.then(() => reload(running, o.load, logger))
  }
  process.on('SIGHUP', onHup)
  o.onReady?.(running)
  await new Promise<void>((resolve) => {
    if (o.stop.aborted) resolve()
    o.stop.addEventListener('abort', () => resolve(), { once: true })
  })
  process.off('SIGHUP', onHup)
  await reloading
  await running.drain()
  if (cluster.isPrimary) await removePidFile(config.home)
  logger.info('stopped')
  // A worker's IPC channel would keep it alive after the drain.
  cluster.worker?.disconnect()
  return 0
}

/** One reload; a configuration that fails to load or apply leaves the running one, logged in one line. */
async function reload(
  running: RunningGatehouse,
  load: () => Promise<GatehouseConfig>,
  logger: Logger,
): Promise<void> {
  let next: GatehouseConfig
  try {
    next = await load()
  } catch (err) {
    logger.error('reload failed; keeping the running configuration', {
      error: (err as Error).message.split('\n')[0],
    })
    return
  }
  await running.reload(next).catch((err: unknown) =>
    logger.error('reload failed while applying; the running configuration may be partly updated', {
      error: (err as Error).message.split('\n')[0],
    }),
  )
}
