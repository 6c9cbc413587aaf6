import type { Clock } from '../clock.js'
import type { GatehouseConfig, ListenerConfig } from '../config/types.js'
import { ChallengeStore } from '../issuance/challenge-store.js'
import { Http01Responder } from '../issuance/http-01-responder.js'
import { TlsAlpnResponder } from '../issuance/tls-alpn-01-responder.js'
import { jsonLogger, type Logger } from '../logger.js'
import type { FolderEvent } from '../manager/certificate-folder.js'
import type { ManagerEvent } from '../manager/manager-events.js'
import type { Gateway, GatewayOptions } from '../proxy/types.js'
import { HttpsServer } from '../server/https-server.js'
import { TicketKeyRing } from '../server/ticket-keys.js'
import { FileStorage } from '../storage/file-storage.js'
import type { Storage } from '../storage/storage.js'
import { openAccessLog, type AccessLogSink } from './access-log-sink.js'
import { FrontGateway } from './front-gateway.js'
import type { CertificateView } from './certificate-view.js'
import { ManagedCertificates } from './managed-certificates.js'
import { appliedConfig, planReload } from './reload-plan.js'
import { withHsts } from './with-hsts.js'
import { StatusPageGateway } from './status-page.js'

export interface StartGatehouseOptions {
  /** Structured server log. Default: JSON lines on stderr at `config.log.level`. */
  logger?: Logger
  clock?: Clock
  onEvent?: (event: ManagerEvent | FolderEvent) => void
  /** Storage instead of files under `config.home`. */
  storage?: Storage
  /** Builds the reverse proxy for `config.sites`. */
  createGateway: (options: GatewayOptions) => Gateway
  /** Where `access_log = "stdout"` writes. Default process.stdout. */
  stdout?: NodeJS.WritableStream
  /** Added to every access-log entry (e.g. `{ worker: 2 }`). */
  accessLogFields?: Record<string, unknown>
}

/** What `status()` reports. */
export interface GatehouseStatus {
  file: string | undefined
  sites: number
  managedNames: string[]
  certificates: CertificateView[]
  inFlight: number
}

/** A running `gatehouse serve` (see {@link startGatehouse}). */
export interface RunningGatehouse {
  readonly httpsPort: number | undefined
  readonly httpPort: number | undefined
  /** Applies a new configuration without dropping connections (see the function's doc). */
  reload(config: GatehouseConfig): Promise<void>
  /** SIGTERM: stop accepting, finish in-flight requests within `timeoutMs`, then close everything. */
  drain(timeoutMs?: number): Promise<boolean>
  close(): Promise<void>
  status(): GatehouseStatus
}

/**
 * Starts what `gatehouse serve` runs: certificates for the sites' hosts (ACME, or the local CA for
 * local names; see issuerFor), the reverse proxy for `config.sites`, the HTTPS and HTTP listeners, the
 * health endpoint (`server.healthPath`, on any host, before routing, on HTTPS and plain HTTP) and
 * the access log. With no sites, the embedded default: a built-in page listing the certificates, on
 * `localhost`.
 *
 * `reload` keeps the listeners and every open connection: sites go to `gateway.update` (tunnels on
 * untouched routes stay open), managed names are added and removed one by one, a changed listener
 * address re-listens that listener only. Settings that need a restart (home, tls, limits, workers)
 * are logged as such and left as they were.
 */
export async function startGatehouse(
  config: GatehouseConfig,
  opts: StartGatehouseOptions,
): Promise<RunningGatehouse> {
  let current = config
  const logger = opts.logger ?? jsonLogger({ level: config.log.level })
  const storage = opts.storage ?? new FileStorage({ root: config.home })
  const challengeStore = new ChallengeStore(storage)
  const http01 = new Http01Responder({ store: challengeStore })
  const tlsAlpn = new TlsAlpnResponder({ store: challengeStore })
  const certs = await ManagedCertificates.create({
    config,
    hosts: hostsOf(config),
    storage,
    http01,
    tlsAlpn,
    challengeStore,
    logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  })
  let accessLog: AccessLogSink | undefined = await openAccessLog(
    config.log.accessLog,
    sinkOptions(opts),
  )
  const gatewayOptions = (c: GatehouseConfig): GatewayOptions => ({
    sites: withHsts(c.sites, c.tls.hsts),
    limits: c.server.limits,
    trustedProxies: c.server.trustedProxies,
    via: 'gatehouse',
    // Stable across reloads: a changed access_log swaps the sink, not the gateway.
    accessLog: (entry) => accessLog?.write(entry),
  })
  const statusPage = new StatusPageGateway(() => certs.list())
  const innerFor = (c: GatehouseConfig): Gateway =>
    c.sites.length === 0 ? statusPage : opts.createGateway(gatewayOptions(c))
  const front = new FrontGateway(innerFor(config), { healthPath: config.server.healthPath })
  const ticketKeys = new TicketKeyRing({ storage, ...(opts.clock ? { clock: opts.clock } : {}) })
  const server = new HttpsServer(
    {
      cache: certs.sources,
      defaultCertificate: certs.defaultCertificate,
      waitForCertificate: (name, signal) => certs.waitFor(name, signal),
      ticketKeys,
      http01,
      tlsAlpn,
      https: listenerOf(config.https),
      http: listenerOf(config.http),
      limits: config.server.limits,
      redirects: (host) => front.serves(host) || certs.sources.lookup(host) !== undefined,
      // The health endpoint answers on plain HTTP too, with no redirect.
      httpFirst: (req, res) => front.answerHealth(req, res),
    },
    front,
  )
  await certs.setHosts(hostsOf(config))
  await ticketKeys.start()
  try {
    await server.listen()
  } catch (err) {
    await Promise.all([ticketKeys.stop(), certs.stop(), front.close(), accessLog?.close()])
    throw err
  }
  await certs.start()
  logger.info('listening', {
    https: server.httpsPort,
    http: server.httpPort,
    sites: config.sites.length,
    names: certs.names,
    config: config.file ?? (config.sites.length === 0 ? 'embedded default' : 'command line'),
  })

  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await certs.stop()
      await front.close()
      await server.close()
      await ticketKeys.stop()
      await accessLog?.close()
    })())

  return {
    get httpsPort() {
      return server.httpsPort
    },
    get httpPort() {
      return server.httpPort
    },
    async reload(next) {
      const plan = planReload(current, next)
      for (const key of plan.needsRestart)
        logger.warn('setting changed; restart to apply it', { key })
      if (plan.accessLog) {
        const previous = accessLog
        accessLog = await openAccessLog(next.log.accessLog, sinkOptions(opts))
        await previous?.close()
      }
      if (plan.sites) {
        const before = front.inner
        if (next.sites.length === 0) front.replace(statusPage)
        else if (before === statusPage) front.replace(innerFor(next))
        else before.update(withHsts(next.sites, current.tls.hsts))
        if (before !== statusPage && front.inner !== before) await before.close()
      }
      front.healthPath = next.server.healthPath
      await certs.setHosts(hostsOf(next))
      if (plan.https) await server.relisten('https', listenerOf(next.https))
      if (plan.http) await server.relisten('http', listenerOf(next.http))
      current = appliedConfig(current, next)
      logger.info('reloaded', {
        sites: next.sites.length,
        names: certs.names,
        https: server.httpsPort,
        http: server.httpPort,
      })
    },
    async drain(timeoutMs = current.server.drainTimeoutMs) {
      logger.info('draining', { inFlight: front.inFlight, timeoutMs })
      let tunnelsOpen = true
      // server.drain stops accepting before it returns its promise; then every WebSocket tunnel is
      // closed going away (1001 to both sides), waited for within the same bound as requests.
      const draining = server.drain(timeoutMs, () => front.inFlight > 0 || tunnelsOpen)
      void front.closeTunnels().then(() => (tunnelsOpen = false))
      const finished = await draining
      if (!finished) logger.warn('drain timed out; closed the remaining connections', { timeoutMs })
      await close()
      return finished
    },
    close,
    status() {
      return {
        file: current.file,
        sites: current.sites.length,
        managedNames: certs.names,
        certificates: certs.list(),
        inFlight: front.inFlight,
      }
    },
  }
}

/** The names to manage: every site host; with no sites, `localhost` (the embedded default). */
export function hostsOf(config: GatehouseConfig): string[] {
  if (config.sites.length === 0) return ['localhost']
  return [...new Set(config.sites.flatMap((s) => s.hosts))]
}

function sinkOptions(opts: StartGatehouseOptions): Parameters<typeof openAccessLog>[1] {
  return {
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.accessLogFields ? { fields: opts.accessLogFields } : {}),
  }
}

function listenerOf(l: ListenerConfig): { host: string; port: number } {
  return { host: l.host, port: l.port }
}
