import { watch, type FSWatcher } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { systemClock, type Clock } from '../clock.js'
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { canonicalIp } from '../crypto/ip.js'
import type { CertEntry, CertificateCache } from '../tls/certificate-cache.js'
import type { Logger } from '../logger.js'
import { logFileEvent } from './log-events.js'

/** What happened to a file pair in the certificate folder. */
export type FolderEvent =
  | { type: 'loaded'; file: string; name: string; notAfter: Date }
  | { type: 'refused'; file: string; name: string; reason: string }
  | { type: 'removed'; file: string; name: string }

export interface CertificateFolderOptions {
  /** The folder: `<name>.crt` + `<name>.key` (PEM), `_wildcard.<parent>.crt` for `*.<parent>`, `default.crt`. */
  dir: string
  cache: CertificateCache
  clock?: Clock
  onEvent?: (event: FolderEvent) => void
  /** Logs every event (a refused file names the file and why). Default: none. */
  logger?: Logger
  /** Milliseconds between polls, the fallback where `fs.watch` misses changes. Default 2 000. */
  pollIntervalMs?: number
}

/** The file stem for `default.crt`: the certificate served when nothing else matches. */
export const DEFAULT_STEM = 'default'

interface Loaded {
  entry: CertEntry
}

/**
 * Certificates kept as files in a folder, looked up by name (as Clace and mkcert users lay them out).
 * A replaced file is picked up without a restart; a bad one (unreadable, key not matching, expired,
 * not covering its name) is refused with an event naming the file, and the previous one keeps serving.
 */
export class CertificateFolder {
  readonly #options: CertificateFolderOptions
  readonly #clock: Clock
  readonly #loaded = new Map<string, Loaded>()
  // Last signature handled per stem, loaded or refused, so a bad file is reported once, not per poll.
  readonly #seen = new Map<string, string>()
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #scanning: Promise<void> | undefined
  #again = false

  constructor(options: CertificateFolderOptions) {
    this.#options = options
    this.#clock = options.clock ?? systemClock
  }

  /** The `default.crt` entry, when the folder has a valid one. */
  get defaultEntry(): CertEntry | undefined {
    return this.#loaded.get(DEFAULT_STEM)?.entry
  }

  /** Loads every pair now; later calls pick up what changed. Concurrent calls share one scan. */
  async scan(): Promise<void> {
    if (this.#scanning) {
      this.#again = true
      return this.#scanning
    }
    this.#scanning = (async () => {
      do {
        this.#again = false
        await this.#scanOnce()
      } while (this.#again)
    })().finally(() => (this.#scanning = undefined))
    return this.#scanning
  }

  /** Scans, then watches the folder (fs.watch, plus polling as a fallback) until `close()`. */
  async watch(): Promise<void> {
    await this.scan()
    try {
      this.#watcher = watch(this.#options.dir, () => void this.scan())
      this.#watcher.on('error', () => {})
    } catch {
      // A folder that does not exist yet is still polled.
    }
    this.#timer = setInterval(() => void this.scan(), this.#options.pollIntervalMs ?? 2000)
    this.#timer.unref()
  }

  close(): void {
    this.#watcher?.close()
    if (this.#timer) clearInterval(this.#timer)
  }

  async #scanOnce(): Promise<void> {
    const stems = await listPairs(this.#options.dir)
    for (const stem of stems) await this.#loadPair(stem)
    for (const stem of [...this.#loaded.keys()]) {
      if (stems.includes(stem)) continue
      const gone = this.#loaded.get(stem)
      this.#loaded.delete(stem)
      this.#seen.delete(stem)
      if (gone && stem !== DEFAULT_STEM) this.#options.cache.delete(gone.entry.id)
      this.#emit({ type: 'removed', file: this.#file(stem, 'crt'), name: nameOf(stem) })
    }
  }

  async #loadPair(stem: string): Promise<void> {
    const certFile = this.#file(stem, 'crt')
    const keyFile = this.#file(stem, 'key')
    let signature: string
    try {
      const [c, k] = await Promise.all([stat(certFile), stat(keyFile)])
      signature = `${c.mtimeMs}:${c.size}:${k.mtimeMs}:${k.size}`
    } catch {
      return // half of a pair being written: the next scan sees it whole
    }
    if (this.#seen.get(stem) === signature) return
    this.#seen.set(stem, signature)
    const name = nameOf(stem)
    try {
      const [certificatePem, privateKeyPem] = await Promise.all([
        readFile(certFile, 'utf8'),
        readFile(keyFile, 'utf8'),
      ])
      const entry = this.#validate(stem, name, certificatePem, privateKeyPem)
      if (stem !== DEFAULT_STEM) this.#options.cache.set(entry)
      this.#loaded.set(stem, { entry })
      this.#emit({ type: 'loaded', file: certFile, name, notAfter: entry.notAfter })
    } catch (err) {
      this.#emit({
        type: 'refused',
        file: certFile,
        name,
        reason: err instanceof Error ? err.message : String(err),
      })
    }
  }

  // Node's own X509Certificate parses in about a tenth of the time of @peculiar/x509 (measured on
  // 10k pairs: 3.5 ms → see BENCHMARKS.md), which is what start-up with many files costs.
  #validate(stem: string, name: string, certificatePem: string, privateKeyPem: string): CertEntry {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(certificatePem)
    } catch (err) {
      throw new Error(`${stem}.crt holds no readable PEM certificate (${(err as Error).message})`)
    }
    let key: KeyObject
    try {
      key = createPrivateKey(privateKeyPem)
    } catch (err) {
      throw new Error(`${stem}.key holds no readable PEM private key (${(err as Error).message})`)
    }
    if (!cert.checkPrivateKey(key)) throw new Error(`${stem}.key is not the key of ${stem}.crt`)
    const notAfter = new Date(cert.validTo)
    if (notAfter.getTime() <= this.#clock.now())
      throw new Error(`expired on ${notAfter.toISOString()}`)
    const sans = subjectAltNames(cert)
    if (stem !== DEFAULT_STEM && !covers(cert, sans, name)) {
      throw new Error(`does not cover ${name} (it names ${sans.join(', ') || 'nothing'})`)
    }
    return {
      id: `folder:${stem}`,
      names: stem === DEFAULT_STEM ? sans : [name],
      notAfter,
      certificatePem,
      privateKeyPem,
      source: stem === DEFAULT_STEM ? 'default' : 'folder',
    }
  }

  #file(stem: string, ext: 'crt' | 'key'): string {
    return join(this.#options.dir, `${stem}.${ext}`)
  }

  #emit(event: FolderEvent): void {
    if (this.#options.logger) logFileEvent(this.#options.logger, event)
    this.#options.onEvent?.(event)
  }
}

/** `_wildcard.example.com` → `*.example.com`; other stems are the name itself. */
export function nameOf(stem: string): string {
  return stem.startsWith('_wildcard.') ? `*.${stem.slice('_wildcard.'.length)}` : stem.toLowerCase()
}

async function listPairs(dir: string): Promise<string[]> {
  let files: string[]
  try {
    files = await readdir(dir)
  } catch {
    return []
  }
  const set = new Set(files)
  return files
    .filter((f) => f.endsWith('.crt') && set.has(`${f.slice(0, -4)}.key`))
    .map((f) => f.slice(0, -4))
    .sort()
}

/** DNS names and IP addresses from the subjectAltName extension (`DNS:a, IP Address:192.0.2.1`). */
function subjectAltNames(cert: X509Certificate): string[] {
  const out: string[] = []
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) out.push(part.slice(4).toLowerCase())
    else if (part.startsWith('IP Address:')) out.push(canonicalIp(part.slice(11)) ?? part.slice(11))
  }
  return out
}

/** RFC 6125 matching by Node (`checkHost`/`checkIP`); a `*.parent` file name must be in the SANs as is. */
function covers(cert: X509Certificate, sans: readonly string[], name: string): boolean {
  if (name.startsWith('*.')) return sans.includes(name)
  if (isIP(name)) return cert.checkIP(name) !== undefined
  return (
    cert.checkHost(name, { subject: 'never', wildcards: true, singleLabelSubdomains: false }) !==
    undefined
  )
}
