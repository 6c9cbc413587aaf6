import type { KeyObject } from 'node:crypto'
import type { Identifier } from '../acme/types.js'
import { systemClock, type Clock } from '../clock.js'
import { certificateMatchesKey, parseCertificate } from '../crypto/certificate.js'
import {
  exportPrivateKeyPem,
  generateKey,
  importPrivateKeyPem,
  parseKeyType,
  type KeyType,
} from '../crypto/keys.js'
import { GatehouseError, throwIfAborted } from '../errors.js'
import { parseIdentifier } from '../issuance/identifiers.js'
import type { Storage } from '../storage/storage.js'
import { createLeafCertificate, createRootCertificate } from './ca-certificates.js'
import { isLocalName, LOCAL_NAMES_DESCRIPTION } from './name-constraints.js'

/** Storage key of the root certificate (PEM). */
export const ROOT_CERT_KEY = 'local-ca/root.crt'
/** Storage key of the root private key (PKCS#8 PEM, stored private). */
export const ROOT_KEY_KEY = 'local-ca/root.key'
/** The storage lock held while a root is created, so concurrent first uses create one CA. */
export const LOCAL_CA_LOCK = 'local-ca'
/** Default leaf lifetime in days: long enough for a working month, short enough to stay disposable. */
export const DEFAULT_LEAF_VALIDITY_DAYS = 30
/**
 * Longest leaf lifetime accepted. Apple platforms reject TLS server certificates valid for more than
 * 825 days even under a user-installed root (Apple support HT210176).
 */
export const MAX_LEAF_VALIDITY_DAYS = 825

export interface LocalCaOptions {
  /** Source of "now" for validity periods. Default: the system clock. */
  clock?: Clock
  signal?: AbortSignal
}

export interface IssueOptions {
  /** Leaf key type. Default `ec256`. */
  keyType?: KeyType
  /** Days the leaf is valid, 1 to 825. Default 30. It never outlives the root. */
  validityDays?: number
  signal?: AbortSignal
}

/** A leaf from {@link LocalCa.issue}: serve `leafPem + chainPem` with `privateKeyPem`. */
export interface IssuedCertificate {
  /** The leaf alone. */
  leafPem: string
  /** What completes the chain: the root (a local CA has no intermediates). */
  chainPem: string
  /** PKCS#8 PEM of the leaf key. */
  privateKeyPem: string
  identifiers: Identifier[]
  notAfter: Date
}

/**
 * A local development CA kept in storage under `local-ca/`: a name-constrained ECDSA P-256 root that
 * signs short-lived leaves for `localhost`, `*.localhost`, `*.test`, 127.0.0.0/8 and ::1 only (issue 3
 * §5). What mkcert does, with the constraint mkcert lacks.
 */
export class LocalCa {
  readonly #rootPem: string
  readonly #rootKey: KeyObject
  readonly #clock: Clock

  private constructor(rootPem: string, rootKey: KeyObject, clock: Clock) {
    this.#rootPem = rootPem
    this.#rootKey = rootKey
    this.#clock = clock
  }

  /**
   * The CA in `storage`, created on first use. Creation happens under the `local-ca` storage lock and
   * re-checks after acquiring it (the Storage.lock contract), so processes starting together end up
   * sharing one root.
   */
  static async load(storage: Storage, options: LocalCaOptions = {}): Promise<LocalCa> {
    const { clock = systemClock, signal } = options
    const existing = await LocalCa.open(storage, options)
    if (existing) return existing
    const lock = await storage.lock(LOCAL_CA_LOCK, signal ? { signal } : {})
    try {
      const created = await LocalCa.open(storage, options)
      if (created) return created
      const key = await generateKey('ec256', signal ? { signal } : {})
      const rootPem = await createRootCertificate(key, clock.now())
      throwIfAborted(signal)
      // Key first: a reader that finds the certificate can rely on the key being there.
      await storage.put(ROOT_KEY_KEY, exportPrivateKeyPem(key), { private: true, ...sig(signal) })
      await storage.put(ROOT_CERT_KEY, rootPem, sig(signal))
      return new LocalCa(rootPem, key, clock)
    } finally {
      await lock.release()
    }
  }

  /** The CA in `storage`, or undefined when none was created yet. Never creates one. */
  static async open(storage: Storage, options: LocalCaOptions = {}): Promise<LocalCa | undefined> {
    const { clock = systemClock, signal } = options
    const certBytes = await storage.get(ROOT_CERT_KEY, sig(signal))
    if (!certBytes) return undefined
    const keyBytes = await storage.get(ROOT_KEY_KEY, sig(signal))
    if (!keyBytes) {
      throw new GatehouseError(
        'ERR_STORAGE',
        `the local CA root ${ROOT_CERT_KEY} has no key ${ROOT_KEY_KEY}; delete local-ca/ to start a new CA`,
      )
    }
    const rootPem = Buffer.from(certBytes).toString('utf8')
    const key = importPrivateKeyPem(Buffer.from(keyBytes).toString('utf8'))
    if (!certificateMatchesKey(rootPem, key)) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `the local CA root ${ROOT_CERT_KEY} does not match ${ROOT_KEY_KEY}; delete local-ca/ to start a new CA`,
      )
    }
    return new LocalCa(rootPem, key, clock)
  }

  /** The root certificate, PEM: what `ca trust` installs and `curl --cacert` takes. */
  get rootCertificatePem(): string {
    return this.#rootPem
  }

  /** The root's subject CN, `Gatehouse Local CA <6 hex>`. */
  get name(): string {
    return parseCertificate(this.#rootPem).subjectCommonName ?? 'Gatehouse Local CA'
  }

  /**
   * Issues a leaf for `names` (DNS names, `*.` wildcards, IP addresses). Names outside the root's
   * constraints are refused with ERR_INVALID_IDENTIFIER before anything is signed: verifiers would
   * reject the certificate anyway, and the error says why.
   */
  async issue(names: readonly string[], options: IssueOptions = {}): Promise<IssuedCertificate> {
    const { keyType = 'ec256', validityDays = DEFAULT_LEAF_VALIDITY_DAYS, signal } = options
    parseKeyType(keyType)
    if (
      !Number.isInteger(validityDays) ||
      validityDays < 1 ||
      validityDays > MAX_LEAF_VALIDITY_DAYS
    ) {
      throw new RangeError(
        `validityDays ${validityDays} is out of range; give whole days from 1 to ${MAX_LEAF_VALIDITY_DAYS}`,
      )
    }
    const identifiers = localIdentifiers(names)
    const leafKey = await generateKey(keyType, sig(signal))
    throwIfAborted(signal)
    const leafPem = await createLeafCertificate({
      identifiers,
      leafKey,
      rootPem: this.#rootPem,
      rootKey: this.#rootKey,
      now: this.#clock.now(),
      validityDays,
    })
    return {
      leafPem,
      chainPem: this.#rootPem,
      privateKeyPem: exportPrivateKeyPem(leafKey),
      identifiers,
      notAfter: parseCertificate(leafPem).notAfter,
    }
  }
}

/** Parses and de-duplicates names, refusing any the root's NameConstraints do not permit. */
function localIdentifiers(names: readonly string[]): Identifier[] {
  if (names.length === 0) {
    throw new RangeError(`give at least one name, such as "localhost" or "app.test"`)
  }
  const seen = new Map<string, Identifier>()
  for (const name of names) {
    const id = parseIdentifier(name)
    if (!isLocalName(id.value)) {
      throw new GatehouseError(
        'ERR_INVALID_IDENTIFIER',
        `the local CA cannot issue for ${JSON.stringify(name)}: its root is constrained to ${LOCAL_NAMES_DESCRIPTION}; use an ACME CA (gatehouse certs obtain) for other names`,
      )
    }
    seen.set(`${id.type}:${id.value}`, id)
  }
  return [...seen.values()]
}

function sig(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {}
}
