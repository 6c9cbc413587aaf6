import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { systemClock, type Clock } from '../clock.js'
import { GatehouseError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { CertEntry, CertificateCache } from '../tls/certificate-cache.js'
import type { FolderEvent } from './certificate-folder.js'
import { logFileEvent } from './log-events.js'
import { pairSignature, subjectAltNames } from './pair-files.js'

/** One explicit pair (`--tls-cert FILE --tls-key FILE`). */
export interface CertificateFilePair {
  cert: string
  key: string
}

export interface CertificateFilesOptions {
  pairs: readonly CertificateFilePair[]
  cache: CertificateCache
  clock?: Clock
  /** Events as the certificate folder's; `name` is the certificate's first name. */
  onEvent?: (event: FolderEvent) => void
  logger?: Logger
  /** Milliseconds between polls, the fallback where `fs.watch` misses a change. Default 2 000. */
  pollIntervalMs?: number
}

interface PairState {
  readonly pair: CertificateFilePair
  readonly id: string
  /** mtime and size of both files when last handled (loaded or refused): each version is reported once. */
  signature: string | undefined
  /** The names served since start: a replacement must cover all of them. */
  names: readonly string[]
}

/** Settle time after an fs.watch event, so the key written right after the certificate is seen too. */
const SETTLE_MS = 150

/**
 * Explicit certificate files (issue 3 §2, source 1), each pair serving the names in its certificate,
 * watched like the certificate folder: a replaced pair is served without a restart; a bad one
 * (unreadable, key not matching, expired, not covering the names served so far) is refused with a
 * log line naming the file, and the previous one keeps serving. At start an unreadable pair or a
 * wrong key is a configuration error (thrown); an expired one is refused and logged, so a server
 * whose operator forgot a renewal still starts and serves its other names.
 */
export class CertificateFiles {
  readonly #options: CertificateFilesOptions
  readonly #clock: Clock
  readonly #states: PairState[]
  readonly #watchers: FSWatcher[] = []
  #timer: NodeJS.Timeout | undefined
  #settle: NodeJS.Timeout | undefined
  #checking: Promise<void> = Promise.resolve()

  constructor(options: CertificateFilesOptions) {
    this.#options = options
    this.#clock = options.clock ?? systemClock
    this.#states = options.pairs.map((pair, i) => ({
      pair,
      id: `file:${i}`,
      signature: undefined,
      names: [],
    }))
  }

  /** Loads every pair; throws ERR_CONFIG (unreadable) or ERR_CERTIFICATE (wrong key, no names). */
  async load(): Promise<void> {
    for (const state of this.#states) {
      const files = await readPair(state.pair)
      state.signature = await signatureOf(state.pair).catch(() => undefined)
      const entry = this.#validate(state, files.certificatePem, files.privateKeyPem, true)
      if (entry !== undefined) this.#serve(state, entry)
    }
  }

  /** Watches the files' folders (fs.watch) and polls them until `close()`. */
  watch(): void {
    for (const dir of new Set(
      this.#states
        .map((s) => dirname(s.pair.cert))
        .concat(this.#states.map((s) => dirname(s.pair.key))),
    )) {
      try {
        const watcher = watch(dir, () => this.#soon())
        watcher.on('error', () => {})
        this.#watchers.push(watcher)
      } catch {
        // Polling still sees changes.
      }
    }
    this.#timer = setInterval(() => void this.check(), this.#options.pollIntervalMs ?? 2000)
    this.#timer.unref()
  }

  /** Looks at every pair once; a changed one is loaded or refused. Calls run one after another. */
  check(): Promise<void> {
    this.#checking = this.#checking.then(async () => {
      for (const state of this.#states) await this.#checkPair(state)
    })
    return this.#checking
  }

  close(): void {
    for (const w of this.#watchers) w.close()
    if (this.#timer) clearInterval(this.#timer)
    if (this.#settle) clearTimeout(this.#settle)
  }

  #soon(): void {
    if (this.#settle) clearTimeout(this.#settle)
    this.#settle = setTimeout(() => void this.check(), SETTLE_MS)
    this.#settle.unref()
  }

  async #checkPair(state: PairState): Promise<void> {
    const signature = await signatureOf(state.pair).catch(() => undefined)
    if (signature === undefined || signature === state.signature) return
    state.signature = signature
    try {
      const { certificatePem, privateKeyPem } = await readPair(state.pair)
      const entry = this.#validate(state, certificatePem, privateKeyPem, false)
      if (entry !== undefined) this.#serve(state, entry)
    } catch (err) {
      this.#refuse(state, (err as Error).message)
    }
  }

  /** The entry to serve, or undefined after refusing; throws at start for configuration errors. */
  #validate(
    state: PairState,
    certificatePem: string,
    privateKeyPem: string,
    atStart: boolean,
  ): CertEntry | undefined {
    const { cert: certFile, key: keyFile } = state.pair
    let cert: X509Certificate
    let key: KeyObject
    try {
      cert = new X509Certificate(certificatePem)
      key = createPrivateKey(privateKeyPem)
    } catch (err) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `${certFile} / ${keyFile} hold no readable PEM certificate and key (${(err as Error).message})`,
      )
    }
    if (!cert.checkPrivateKey(key)) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `${keyFile} is not the key of ${certFile}; give the matching pair`,
      )
    }
    const names = subjectAltNames(cert)
    if (names.length === 0) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `${certFile} names no DNS name or IP address in subjectAltName; it cannot serve any name`,
      )
    }
    const notAfter = new Date(cert.validTo)
    if (notAfter.getTime() <= this.#clock.now()) {
      return this.#refuse(state, `expired on ${notAfter.toISOString()}`)
    }
    const dropped = state.names.filter((n) => !names.includes(n))
    if (!atStart && dropped.length > 0) {
      return this.#refuse(
        state,
        `does not cover ${dropped.join(', ')}, which the previous certificate served (restart to change the names)`,
      )
    }
    return { id: state.id, names, notAfter, certificatePem, privateKeyPem, source: 'file' }
  }

  #serve(state: PairState, entry: CertEntry): void {
    this.#options.cache.set(entry)
    state.names = entry.names
    this.#emit({
      type: 'loaded',
      file: state.pair.cert,
      name: entry.names[0] ?? '',
      notAfter: entry.notAfter,
    })
  }

  #refuse(state: PairState, reason: string): undefined {
    this.#emit({ type: 'refused', file: state.pair.cert, name: state.names[0] ?? '', reason })
    return undefined
  }

  #emit(event: FolderEvent): void {
    if (this.#options.logger) logFileEvent(this.#options.logger, event)
    this.#options.onEvent?.(event)
  }
}

function signatureOf(pair: CertificateFilePair): Promise<string> {
  return pairSignature(pair.cert, pair.key)
}

async function readPair(
  pair: CertificateFilePair,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  try {
    const [certificatePem, privateKeyPem] = await Promise.all([
      readFile(pair.cert, 'utf8'),
      readFile(pair.key, 'utf8'),
    ])
    return { certificatePem, privateKeyPem }
  } catch (err) {
    throw new GatehouseError(
      'ERR_CONFIG',
      `cannot read ${pair.cert} / ${pair.key}: ${(err as Error).message}`,
      { cause: err },
    )
  }
}
