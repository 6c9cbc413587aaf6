import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import type { Clock } from '../clock.js'
import type { ChallengeSolver } from '../issuance/challenge-solver.js'
import type { ChallengeStore } from '../issuance/challenge-store.js'
import type { Http01Responder } from '../issuance/http-01-responder.js'
import { Http01InProcessSolver, TlsAlpn01InProcessSolver } from '../issuance/in-process-solvers.js'
import type { TlsAlpnResponder } from '../issuance/tls-alpn-01-responder.js'
import { LocalCa } from '../local-ca/local-ca.js'
import type { Logger } from '../logger.js'
import { resolveDirectoryUrl } from '../manager/ca-directories.js'
import { CertificateFiles } from '../manager/certificate-files.js'
import { CertificateFolder, type FolderEvent } from '../manager/certificate-folder.js'
import { CertificateManager, type ManagedStatus } from '../manager/certificate-manager.js'
import type { Issuer } from '../manager/issuer.js'
import type { ManagerEvent } from '../manager/manager-events.js'
import { CertificateSources } from '../server/certificate-sources.js'
import { createDefault, readCaFile } from '../server/create-server.js'
import { LazyAcmeIssuer } from '../server/lazy-acme-issuer.js'
import type { Storage } from '../storage/storage.js'
import { CertificateCache, type CertEntry } from '../tls/certificate-cache.js'
import type { GatehouseConfig } from '../config/types.js'
import { issuerFor } from './issuer-choice.js'
import { lazyLocalCaIssuer } from './lazy-local-ca-issuer.js'
import { onDemandFor, type OnDemand } from './on-demand.js'

export interface ManagedCertificatesOptions {
  config: GatehouseConfig
  /** The host names managed at start (see `setHosts`); they decide whether the local CA is loaded. */
  hosts: readonly string[]
  storage: Storage
  http01: Http01Responder
  tlsAlpn: TlsAlpnResponder
  challengeStore: ChallengeStore
  logger: Logger
  clock?: Clock
  onEvent?: (event: ManagerEvent | FolderEvent) => void
}

/** One certificate as the status page and `status()` show it. */
export interface CertificateView {
  names: readonly string[]
  source: CertEntry['source']
  issuer?: string
  notAfter?: Date
  nextRenewal?: Date
  reason?: ManagedStatus['reason']
  lastError?: string
}

/**
 * The certificate side of `gatehouse serve`: explicit files, the certificate folder, and one
 * {@link CertificateManager} per managed name (ACME or local CA), so that a reload adds and removes
 * names without touching the others' schedules or in-flight issuance. Issuance holds storage locks,
 * so several workers or instances sharing the home folder obtain each certificate once.
 */
export class ManagedCertificates {
  readonly sources: CertificateSources
  readonly defaultCertificate: { certificatePem: string; privateKeyPem: string }
  readonly #o: ManagedCertificatesOptions
  readonly #managed: CertificateCache
  readonly #unmanaged: readonly CertificateCache[]
  readonly #folder: CertificateFolder | undefined
  readonly #files: CertificateFiles
  /** `[tls.on_demand]`: names allowed at handshake time, taken by these two managers. */
  readonly #onDemand: OnDemand | undefined
  readonly #issuers: { local: Issuer; acme: LazyAcmeIssuer }
  readonly #managers = new Map<string, { manager: CertificateManager; issuer: Issuer }>()
  #started = false

  private constructor(
    o: ManagedCertificatesOptions,
    parts: {
      sources: CertificateSources
      managed: CertificateCache
      unmanaged: CertificateCache[]
      folder: CertificateFolder | undefined
      files: CertificateFiles
      defaultCertificate: { certificatePem: string; privateKeyPem: string }
      local: Issuer
      acme: LazyAcmeIssuer
    },
  ) {
    this.#o = o
    this.sources = parts.sources
    this.#managed = parts.managed
    this.#unmanaged = parts.unmanaged
    this.#folder = parts.folder
    this.#files = parts.files
    this.#onDemand = o.config.tls.onDemand
      ? onDemandFor(o, o.config.tls.onDemand, parts.managed, [parts.acme, parts.local])
      : undefined
    this.defaultCertificate = parts.defaultCertificate
    this.#issuers = { local: parts.local, acme: parts.acme }
  }

  static async create(o: ManagedCertificatesOptions): Promise<ManagedCertificates> {
    const { config, storage } = o
    const explicit = new CertificateCache()
    const files = new CertificateFiles({
      pairs: config.tls.files,
      cache: explicit,
      logger: o.logger,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    })
    await files.load()
    const folderCache = new CertificateCache()
    const certDir = config.tls.certDir
    const folder =
      certDir === undefined
        ? undefined
        : new CertificateFolder({
            dir: certDir,
            cache: folderCache,
            logger: o.logger,
            ...(o.onEvent ? { onEvent: o.onEvent } : {}),
          })
    await folder?.loadDefault()
    const managed = new CertificateCache()
    // The local CA is created only when a local name needs it: a public server keeps no root CA.
    const local = hostsNeedLocalCa(o.hosts, config)
    const ca = local ? await LocalCa.load(storage, o.clock ? { clock: o.clock } : {}) : undefined
    const acme = new LazyAcmeIssuer({
      storage,
      directoryUrl: resolveDirectoryUrl(config.tls.acmeDirectory),
      caCerts: config.tls.acmeCaCert ? [await readCaFile(config.tls.acmeCaCert)] : [],
      solvers: solversFor(o),
      ...(config.tls.email ? { email: config.tls.email } : {}),
      ...(config.tls.eab ? { eab: config.tls.eab } : {}),
      ...(config.tls.profile ? { profile: config.tls.profile } : {}),
      keyType: config.tls.keyType,
    })
    return new ManagedCertificates(o, {
      sources: new CertificateSources([explicit, folderCache, managed]),
      managed,
      unmanaged: [explicit, folderCache],
      folder,
      files,
      defaultCertificate:
        folder?.defaultEntry ??
        (await createDefault(
          ca,
          o.hosts.filter((h) => !h.startsWith('*.')),
          certDir ?? join(config.home, 'certificates'),
        )),
      local: lazyLocalCaIssuer(storage, o.clock, ca),
      acme,
    })
  }

  /** The names a manager obtains and renews. */
  get names(): string[] {
    return [...this.#managers.keys()]
  }

  /**
   * Manages exactly `hosts` (the sites' host names) from now on: managers for new names are created
   * (and started, once `start` ran), those of names no longer listed are stopped and their
   * certificates leave the SNI index. Names listed before and now are left alone.
   */
  async setHosts(hosts: readonly string[]): Promise<void> {
    const wanted = new Map<string, Issuer>()
    for (const host of new Set(hosts)) {
      const choice = issuerFor(host, {
        acmeDirectory: this.#o.config.tls.acmeDirectory,
        onDemand: this.#o.config.tls.onDemand !== undefined,
      })
      if (choice.issuer === 'none') {
        if (this.#onDemand) this.#o.logger.info('host left to on-demand issuance', { host })
        else if (this.sources.lookup(host) === undefined)
          this.#o.logger.warn('no certificate source for host', { host, why: choice.why })
        continue
      }
      wanted.set(host, choice.issuer === 'acme' ? this.#issuers.acme : this.#issuers.local)
    }
    const removed = [...this.#managers].filter(([name, m]) => wanted.get(name) !== m.issuer)
    await Promise.all(
      removed.map(async ([name, m]) => {
        this.#managers.delete(name)
        await m.manager.stop()
        this.#managed.delete(`managed:${m.issuer.key}:${name}`)
      }),
    )
    const added: CertificateManager[] = []
    for (const [name, issuer] of wanted) {
      if (this.#managers.has(name)) continue
      const manager = new CertificateManager({
        storage: this.#o.storage,
        issuer,
        cache: this.#managed,
        names: [name],
        ...(this.#o.clock ? { clock: this.#o.clock } : {}),
        onEvent: (e) => this.#onManagerEvent(e),
      })
      this.#managers.set(name, { manager, issuer })
      added.push(manager)
    }
    if (this.#started) await Promise.all(added.map((m) => m.start()))
  }

  /** Loads stored certificates, then obtains and renews in the background; watches the folder. */
  async start(): Promise<void> {
    this.#started = true
    await this.#folder?.watch()
    this.#files.watch()
    await Promise.all(this.#onDemand?.managers.map((m) => m.start()) ?? [])
    await Promise.all([...this.#managers.values()].map((m) => m.manager.start()))
  }

  async stop(): Promise<void> {
    this.#folder?.close()
    this.#files.close()
    this.#onDemand?.issuance.close()
    await Promise.all([
      ...[...this.#managers.values()].map((m) => m.manager.stop()),
      ...(this.#onDemand?.managers.map((m) => m.stop()) ?? []),
    ])
    await this.#issuers.acme.close()
  }

  /** For a handshake whose name has no certificate yet: resolves true once one is served. */
  async waitFor(servername: string, signal: AbortSignal): Promise<boolean> {
    const name = servername.toLowerCase().replace(/\.$/, '')
    const m = this.#managers.get(name)
    if (!m) return this.#onDemand?.issuance.certificateFor(name, signal) ?? false
    return m.manager.ready(name, { signal }).then(
      () => true,
      () => false,
    )
  }

  /** Every certificate served or managed, for the status page. */
  list(): CertificateView[] {
    const views: CertificateView[] = []
    for (const cache of this.#unmanaged)
      for (const entry of cache.entries()) views.push(viewOf(entry))
    const managers = [
      ...[...this.#managers.values()].map((m) => [m.manager, m.issuer] as const),
      ...(this.#onDemand?.managers.map((m, i) => [m, this.#onDemand?.issuers[i]] as const) ?? []),
    ]
    for (const [manager, issuer] of managers) {
      for (const s of manager.status()) {
        const entry = issuer && this.#managed.get(`managed:${issuer.key}:${s.name}`)
        views.push({
          ...(entry ? viewOf(entry) : { names: [s.name], source: issuer?.source ?? 'acme' }),
          ...(s.nextRenewal ? { nextRenewal: s.nextRenewal } : {}),
          reason: s.reason,
          ...(s.lastError ? { lastError: s.lastError.message } : {}),
        })
      }
    }
    return views
  }

  #onManagerEvent(e: ManagerEvent): void {
    const { type, name } = e
    if (e.type === 'renewal_failed')
      this.#o.logger.warn('certificate issuance failed', {
        name,
        error: e.error,
        attempt: e.attempt,
        nextAttempt: e.nextAttempt,
      })
    else if (e.type === 'expiring_soon')
      this.#o.logger.warn('certificate expiring soon', { name, notAfter: e.certificate.notAfter })
    else if (e.type === 'renewal_declined')
      this.#o.logger.warn('certificate renewal declined', { name, reason: e.reason })
    else
      this.#o.logger.info(`certificate ${type}`, {
        name,
        notAfter: e.certificate.notAfter,
        serial: e.certificate.serialHex,
      })
    this.#o.onEvent?.(e)
  }
}

function hostsNeedLocalCa(hosts: readonly string[], config: GatehouseConfig): boolean {
  const options = { acmeDirectory: config.tls.acmeDirectory, onDemand: false }
  return hosts.some((h) => issuerFor(h, options).issuer === 'local-ca')
}

function viewOf(entry: CertEntry): CertificateView {
  let issuer: string | undefined
  try {
    // The issuer's CN for display; the full DN is long and mostly noise on a status page.
    const dn = new X509Certificate(entry.certificatePem).issuer
    issuer = /(?:^|\n)CN=(.*)/.exec(dn)?.[1] ?? dn
  } catch {
    issuer = undefined
  }
  return {
    names: entry.names,
    source: entry.source,
    notAfter: entry.notAfter,
    ...(issuer ? { issuer } : {}),
  }
}

function solversFor(o: ManagedCertificatesOptions): ChallengeSolver[] {
  const store = { store: o.challengeStore }
  const { http, https, tls } = o.config
  const solvers: ChallengeSolver[] = []
  if (http.port !== -1 && tls.challenges.includes('http-01'))
    solvers.push(new Http01InProcessSolver(o.http01, store))
  if (https.port !== -1 && tls.challenges.includes('tls-alpn-01'))
    solvers.push(new TlsAlpn01InProcessSolver(o.tlsAlpn, store))
  return solvers
}
