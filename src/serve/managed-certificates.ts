import { join } from 'node:path'
import type { Clock } from '../clock.js'
import type { ChallengeStore } from '../issuance/challenge-store.js'
import type { Http01Responder } from '../issuance/http-01-responder.js'
import type { TlsAlpnResponder } from '../issuance/tls-alpn-01-responder.js'
import { LocalCa } from '../local-ca/local-ca.js'
import type { Logger } from '../logger.js'
import type { FolderEvent } from '../manager/certificate-folder.js'
import { CertificateManager } from '../manager/certificate-manager.js'
import type { Issuer } from '../manager/issuer.js'
import type { ManagerEvent } from '../manager/manager-events.js'
import { createAcmeIssuer, inProcessSolvers } from '../server/acme-setup.js'
import type { CertificateSources } from '../server/certificate-sources.js'
import {
  createDefault,
  openCertificateStores,
  type CertificateStores,
} from '../server/certificate-stores.js'
import type { LazyAcmeIssuer } from '../server/lazy-acme-issuer.js'
import type { Storage } from '../storage/storage.js'
import type { GatehouseConfig } from '../config/types.js'
import { viewOf, type CertificateView } from './certificate-view.js'
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
  /** Explicit files, the certificate folder, and the cache the managers below fill. */
  readonly #stores: CertificateStores
  /** `[tls.on_demand]`: names allowed at handshake time, taken by these two managers. */
  readonly #onDemand: OnDemand | undefined
  readonly #issuers: { local: Issuer; acme: LazyAcmeIssuer }
  readonly #managers = new Map<string, { manager: CertificateManager; issuer: Issuer }>()
  #started = false

  private constructor(
    o: ManagedCertificatesOptions,
    parts: {
      stores: CertificateStores
      defaultCertificate: { certificatePem: string; privateKeyPem: string }
      local: Issuer
      acme: LazyAcmeIssuer
    },
  ) {
    const { stores, local, acme } = parts
    this.#o = o
    this.sources = stores.sources
    this.#stores = stores
    this.#onDemand = o.config.tls.onDemand
      ? onDemandFor(o, o.config.tls.onDemand, stores.managed, [acme, local])
      : undefined
    this.defaultCertificate = parts.defaultCertificate
    this.#issuers = { local, acme }
  }

  static async create(o: ManagedCertificatesOptions): Promise<ManagedCertificates> {
    const { config, storage } = o
    const certDir = config.tls.certDir
    const stores = await openCertificateStores({
      tlsFiles: config.tls.files,
      certDir,
      logger: o.logger,
      clock: o.clock,
      onEvent: o.onEvent,
    })
    // The local CA is created only when a local name needs it: a public server keeps no root CA.
    const local = hostsNeedLocalCa(o.hosts, config)
    const ca = local ? await LocalCa.load(storage, o.clock ? { clock: o.clock } : {}) : undefined
    const acme = await createAcmeIssuer(
      storage,
      { ...config.tls, directory: config.tls.acmeDirectory, caCert: config.tls.acmeCaCert },
      inProcessSolvers({
        http01: o.http01,
        tlsAlpn: o.tlsAlpn,
        httpPort: config.http.port,
        httpsPort: config.https.port,
        challenges: config.tls.challenges,
        store: o.challengeStore,
      }),
    )
    return new ManagedCertificates(o, {
      stores,
      defaultCertificate:
        stores.folder?.defaultEntry ??
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
        this.#stores.managed.delete(`managed:${m.issuer.key}:${name}`)
      }),
    )
    const added: CertificateManager[] = []
    for (const [name, issuer] of wanted) {
      if (this.#managers.has(name)) continue
      const manager = new CertificateManager({
        storage: this.#o.storage,
        issuer,
        cache: this.#stores.managed,
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
    await this.#stores.folder?.watch()
    this.#stores.files.watch()
    await Promise.all(this.#onDemand?.managers.map((m) => m.start()) ?? [])
    await Promise.all([...this.#managers.values()].map((m) => m.manager.start()))
  }

  async stop(): Promise<void> {
    this.#stores.folder?.close()
    this.#stores.files.close()
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
    for (const cache of this.#stores.unmanaged)
      for (const entry of cache.entries()) views.push(viewOf(entry))
    const managers = [
      ...[...this.#managers.values()].map((m) => [m.manager, m.issuer] as const),
      ...(this.#onDemand?.managers.map((m, i) => [m, this.#onDemand?.issuers[i]] as const) ?? []),
    ]
    for (const [manager, issuer] of managers) {
      for (const s of manager.status()) {
        const entry = issuer && this.#stores.managed.get(`managed:${issuer.key}:${s.name}`)
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
