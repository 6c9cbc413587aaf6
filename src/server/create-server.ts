import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { homedir, hostname } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../clock.js'
import type { KeyType } from '../crypto/keys.js'
import { GatehouseError } from '../errors.js'
import type { ChallengeSolver } from '../issuance/challenge-solver.js'
import { Http01InProcessSolver, TlsAlpn01InProcessSolver } from '../issuance/in-process-solvers.js'
import { LocalCa } from '../local-ca/local-ca.js'
import { isLocalName } from '../local-ca/name-constraints.js'
import { CertificateFiles } from '../manager/certificate-files.js'
import { CertificateFolder, DEFAULT_STEM, type FolderEvent } from '../manager/certificate-folder.js'
import { OnDemandIssuance, type OnDemandOptions } from '../manager/on-demand.js'
import type { Logger } from '../logger.js'
import { CertificateManager } from '../manager/certificate-manager.js'
import type { ManagerEvent } from '../manager/manager-events.js'
import type { Issuer } from '../manager/issuer.js'
import { parseIdentifiers } from '../issuance/identifiers.js'
import { suggest } from '../_internal/suggest.js'
import { LocalCaIssuer } from '../manager/local-ca-issuer.js'
import { resolveDirectoryUrl } from '../manager/ca-directories.js'
import { FileStorage } from '../storage/file-storage.js'
import type { Storage } from '../storage/storage.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { CertificateSources } from './certificate-sources.js'
import {
  HttpsServer,
  type HstsOptions,
  type ListenerOptions,
  type RequestHandler,
} from './https-server.js'
import { LazyAcmeIssuer } from './lazy-acme-issuer.js'
import { createSelfSigned } from './self-signed.js'
import { TicketKeyRing } from './ticket-keys.js'
import type { Gateway, GatewayLimits } from '../proxy/types.js'

export interface CreateServerOptions {
  /**
   * Names to serve and manage. Default: the machine's hostname and `www.<hostname>`, or none when
   * `onDemand` is given.
   */
  domains?: string[]
  /** ACME account contact. */
  email?: string
  /** The ACME CA for names that are not local (local names get local-CA certificates). */
  acme?: {
    /** `letsencrypt` (default), `letsencrypt-staging` or a directory URL. */
    directory?: string
    /** Path of a PEM to trust for the CA's own HTTPS (a test CA such as Pebble). */
    caCert?: string
    profile?: string
    keyType?: KeyType
    eab?: { kid: string; hmacKey: string }
  }
  /** Home folder: account, certificates, local CA. Default `~/.gatehouse` (or `GATEHOUSE_HOME`). */
  home?: string
  /** Storage instead of files under `home` (for a shared store). */
  storage?: Storage
  /** The certificate folder looked up by name; `false` turns the lookup off. Default `<home>/certificates`. */
  certDir?: string | false
  /** Certificate and key files served first, each for the names in its certificate; watched for replacement. */
  tlsFiles?: { cert: string; key: string }[]
  /**
   * Obtain a certificate at the first handshake for a name nothing else covers, when this policy
   * allows it (allow-list, ask URL, decide; see OnDemandOptions). Default: no on-demand issuance.
   */
  onDemand?: OnDemandOptions
  /** Structured log of certificate events and on-demand decisions. Default: none. */
  logger?: Logger
  https?: ListenerOptions
  http?: ListenerOptions
  hsts?: boolean | HstsOptions
  /**
   * Offer HTTP/2 to clients that ask for it. Default true. Set `false` for Express (4 and 5), which
   * breaks on Node's HTTP/2 compatibility objects: every client then gets HTTP/1.1.
   */
  http2?: boolean
  clock?: Clock
  onEvent?: (event: ManagerEvent | FolderEvent) => void
  /** Header, URL and timeout limits when `app` is a Gateway (see src/server/gateway-listeners.ts). */
  limits?: Partial<GatewayLimits>
}

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
  const explicit = new CertificateCache()
  const files = new CertificateFiles({
    pairs: options.tlsFiles ?? [],
    cache: explicit,
    ...clockOf(options),
    ...events(options),
    ...logOf(options),
  })
  await files.load()
  const folderCache = new CertificateCache()
  const certDir =
    options.certDir === false ? undefined : (options.certDir ?? join(home, 'certificates'))
  const folder =
    certDir === undefined
      ? undefined
      : new CertificateFolder({
          dir: certDir,
          cache: folderCache,
          ...events(options),
          ...logOf(options),
        })
  // Only default.crt is needed now: the folder is listed once the server listens (see listen()).
  await folder?.loadDefault()
  const managed = new CertificateCache()
  const sources = new CertificateSources([explicit, folderCache, managed])
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
    const solvers: ChallengeSolver[] = []
    if (options.http?.port !== -1) solvers.push(new Http01InProcessSolver(server.http01))
    if (options.https?.port !== -1) solvers.push(new TlsAlpn01InProcessSolver(server.tlsAlpn))
    acme = new LazyAcmeIssuer({
      storage,
      directoryUrl: resolveDirectoryUrl(options.acme?.directory ?? 'letsencrypt'),
      caCerts: options.acme?.caCert ? [await readCaFile(options.acme.caCert)] : [],
      solvers,
      ...(options.email ? { email: options.email } : {}),
      ...(options.acme?.eab ? { eab: options.acme.eab } : {}),
      ...(options.acme?.profile ? { profile: options.acme.profile } : {}),
      ...(options.acme?.keyType ? { keyType: options.acme.keyType } : {}),
    })
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

/**
 * Issue 3 §2: the default certificate is created on first need and saved in the certificate folder
 * as default.crt/default.key (atomically, key 0600), so later starts serve the same one until it
 * expires (the folder then refuses it and a new one is made).
 */
export async function createDefault(
  ca: LocalCa | undefined,
  remote: string[],
  certDir: string | undefined,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const pair = await defaultPair(ca, remote)
  if (certDir !== undefined) {
    const files = new FileStorage({ root: certDir })
    await files.put(`${DEFAULT_STEM}.key`, pair.privateKeyPem, { private: true })
    await files.put(`${DEFAULT_STEM}.crt`, pair.certificatePem)
  }
  return pair
}

async function defaultPair(
  ca: LocalCa | undefined,
  remote: string[],
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  if (ca) {
    const issued = await ca.issue(['localhost', '127.0.0.1', '::1'])
    return { certificatePem: issued.leafPem, privateKeyPem: issued.privateKeyPem }
  }
  return createSelfSigned(
    remote
      .filter((d) => !d.startsWith('*.'))
      .slice(0, 1)
      .concat(['localhost']),
  )
}

export async function readCaFile(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((err: Error) => {
    throw new GatehouseError('ERR_CONFIG', `cannot read acme.caCert ${file}: ${err.message}`, {
      cause: err,
    })
  })
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new GatehouseError('ERR_CONFIG', `acme.caCert ${file} holds no PEM certificate`)
  return pem
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

const OPTION_KEYS: readonly string[] = [
  'domains',
  'email',
  'acme',
  'home',
  'storage',
  'certDir',
  'tlsFiles',
  'https',
  'http',
  'hsts',
  'http2',
  'clock',
  'onEvent',
  'limits',
  'onDemand',
  'logger',
]

/** Unknown keys are refused with a suggestion: a typo (`domain`) must not silently change what is served. */
function checkOptionKeys(options: CreateServerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError("createServer() needs an options object, e.g. { domains: ['example.com'] }")
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError(
        `unknown createServer() option ${JSON.stringify(key)}${suggest(key, OPTION_KEYS, '')}; options are ${OPTION_KEYS.join(', ')}`,
      )
    }
  }
}
