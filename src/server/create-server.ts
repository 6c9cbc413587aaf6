import type { IncomingMessage, ServerResponse } from 'node:http'
import { homedir, hostname } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../clock.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { isLocalName } from '../local-ca/name-constraints.js'
import type { FolderEvent } from '../manager/certificate-folder.js'
import { OnDemandIssuance } from '../manager/on-demand.js'
import type { Logger } from '../logger.js'
import { CertificateManager } from '../manager/certificate-manager.js'
import type { ManagerEvent } from '../manager/manager-events.js'
import type { Issuer } from '../manager/issuer.js'
import { parseIdentifiers } from '../issuance/identifiers.js'
import { LocalCaIssuer } from '../manager/local-ca-issuer.js'
import { FileStorage } from '../storage/file-storage.js'
import { HttpsServer } from './https-server.js'
import type { RequestHandler } from './https-server-options.js'
import { createAcmeIssuer, inProcessSolvers } from './acme-setup.js'
import { createDefault, openCertificateStores } from './certificate-stores.js'
import type { LazyAcmeIssuer } from './lazy-acme-issuer.js'
import { TicketKeyRing } from './ticket-keys.js'
import type { Gateway } from '../proxy/types.js'
import { checkOptionKeys, type CreateServerOptions } from './create-server-options.js'

export type { CreateServerOptions }

/**
 * The app: any `(req, res)` handler; what it returns is ignored (Koa's and Hono's listeners return a
 * promise and handle their own errors). Handlers typed for `node:http` only (Express, Fastify's
 * `serverFactory` handler) are accepted as well; over HTTP/2 they get Node's compatibility objects,
 * which most frameworks handle (Express does not: use `http2: false` for it).
 */
export type AppHandler =
  | ((req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => unknown)
  | ((req: IncomingMessage, res: ServerResponse) => unknown)

/** A running Gatehouse HTTPS server (see {@link createServer}). */
export interface GatehouseServer {
  listen(): Promise<void>
  close(): Promise<void>
  readonly httpsPort: number | undefined
  readonly httpPort: number | undefined
  /** The managers of ACME and local-CA certificates (for status and renewNow). */
  readonly managers: readonly CertificateManager[]
}

/**
 * Drop-in for `https.createServer(options, app)`: certificates from explicit files, the certificate
 * folder, ACME (public names) or the local CA (local names), and a default certificate; served over
 * HTTP/2 and HTTP/1.1, with HTTP redirected and challenges answered in-process.
 */
export async function createServer(
  options: CreateServerOptions,
  app: AppHandler | Gateway,
): Promise<GatehouseServer> {
  const home = options.home ?? process.env.GATEHOUSE_HOME ?? join(homedir(), '.gatehouse')
  checkOptionKeys(options)
  const storage = options.storage ?? new FileStorage({ root: home })
  // Canonical names (lower case, A-labels, RFC 5952 IPs); a bad one is refused here, naming it.
  const wanted = options.domains ?? (options.onDemand ? [] : defaultDomains())
  const domains = wanted.length > 0 ? parseIdentifiers(wanted).map((id) => id.value) : []
  const certDir =
    options.certDir === false ? undefined : (options.certDir ?? join(home, 'certificates'))
  const { files, folder, managed, sources } = await openCertificateStores({
    tlsFiles: options.tlsFiles ?? [],
    certDir,
    ...clockOf(options),
    ...events(options),
    ...logOf(options),
  })
  const local = domains.filter((d) => isLocalName(d))
  const remote = domains.filter((d) => !isLocalName(d))
  const ca =
    local.length > 0 || remote.length === 0
      ? await LocalCa.load(storage, clockOf(options))
      : undefined
  const defaultCertificate = folder?.defaultEntry ?? (await createDefault(ca, remote, certDir))

  // Session tickets that every server sharing this storage can decrypt (issue 3 §4).
  const ticketKeys = new TicketKeyRing({ storage, ...clockOf(options) })
  const managers: CertificateManager[] = []
  // Filled once the managers exist: the handshake path looks a name up here, never scans managers.
  const owners = new Map<string, { manager: CertificateManager; name: string }>()
  let onDemand: OnDemandIssuance | undefined
  const waitForCertificate = async (servername: string, signal: AbortSignal): Promise<boolean> => {
    const name = servername.toLowerCase().replace(/\.$/, '')
    const dot = name.indexOf('.')
    const owner = owners.get(name) ?? (dot > 0 ? owners.get(`*${name.slice(dot)}`) : undefined)
    if (!owner) return onDemand?.certificateFor(name, signal) ?? false
    return owner.manager.ready(owner.name, { signal }).then(
      () => true,
      () => false,
    )
  }

  const server = new HttpsServer(
    {
      cache: sources,
      defaultCertificate,
      waitForCertificate,
      ticketKeys,
      ...(options.https ? { https: options.https } : {}),
      ...(options.http ? { http: options.http } : {}),
      ...(options.hsts !== undefined ? { hsts: options.hsts } : {}),
      ...(options.http2 !== undefined ? { http2: options.http2 } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    },
    // The same function is called with either kind of objects; the union is the honest type.
    typeof app === 'function' ? (app as RequestHandler) : app,
  )
  const addManager = (issuer: Issuer, names: string[]): CertificateManager => {
    const manager = new CertificateManager({
      storage,
      issuer,
      cache: managed,
      names,
      ...clockOf(options),
      ...events(options),
      ...logOf(options),
    })
    managers.push(manager)
    for (const name of names) owners.set(name, { manager, name })
    return manager
  }
  // With on-demand issuance, both managers exist from the start (maybe with no names) to take names.
  const localManager =
    ca && (local.length > 0 || options.onDemand)
      ? addManager(new LocalCaIssuer(ca), local)
      : undefined

  let acme: LazyAcmeIssuer | undefined
  let acmeManager: CertificateManager | undefined
  if (remote.length > 0 || options.onDemand) {
    const solvers = inProcessSolvers({
      http01: server.http01,
      tlsAlpn: server.tlsAlpn,
      httpPort: options.http?.port,
      httpsPort: options.https?.port,
    })
    acme = await createAcmeIssuer(
      storage,
      {
        ...options.acme,
        directory: options.acme?.directory ?? 'letsencrypt',
        email: options.email,
      },
      solvers,
    )
    acmeManager = addManager(acme, remote)
  }
  if (options.onDemand) {
    onDemand = new OnDemandIssuance({
      policy: options.onDemand,
      managerFor: (id) => (isLocalName(id.value) ? localManager : acmeManager),
      ...clockOf(options),
      ...logOf(options),
    })
  }
  return {
    get httpsPort() {
      return server.httpsPort
    },
    get httpPort() {
      return server.httpPort
    },
    managers,
    async listen() {
      await ticketKeys.start()
      await server.listen().catch(async (err: unknown) => {
        await ticketKeys.stop()
        throw err
      })
      await folder?.watch()
      files.watch()
      // Managers load stored certificates, then obtain and renew in the background.
      await Promise.all(managers.map((m) => m.start()))
    },
    async close() {
      folder?.close()
      files.close()
      onDemand?.close()
      await Promise.all(managers.map((m) => m.stop()))
      await acme?.close()
      await server.close()
      await ticketKeys.stop()
    },
  }
}

function defaultDomains(): string[] {
  const name = hostname().toLowerCase()
  return name.includes('.') ? [name, `www.${name}`] : [name]
}

function clockOf(options: CreateServerOptions): { clock?: Clock } {
  return options.clock ? { clock: options.clock } : {}
}

function logOf(options: CreateServerOptions): { logger?: Logger } {
  return options.logger ? { logger: options.logger } : {}
}

function events(options: CreateServerOptions): {
  onEvent?: (e: ManagerEvent | FolderEvent) => void
} {
  return options.onEvent ? { onEvent: options.onEvent } : {}
}
