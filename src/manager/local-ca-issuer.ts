import type { Identifier } from '../acme/types.js'
import type { KeyType } from '../crypto/keys.js'
import type { LocalCa } from '../local-ca/local-ca.js'
import type { IssuedPair, Issuer } from './issuer.js'

/** The storage key of certificates from the local development CA (see {@link Issuer.key}). */
export const LOCAL_CA_ISSUER_KEY = 'local-ca://local'

export interface LocalCaIssuerOptions {
  /** Days each leaf is valid, 1 to 825. Default: the CA's default (30). */
  validityDays?: number
  /** Leaf key type. Default `ec256`. */
  keyType?: KeyType
}

/**
 * An {@link Issuer} backed by the local development CA (issue 3 §5). It has no ARI, so its
 * certificates renew by lifetime. The root is left out of the served chain: clients that trust it
 * have it already, and the certificate cache's contract is "never the root".
 */
export class LocalCaIssuer implements Issuer {
  readonly key = LOCAL_CA_ISSUER_KEY
  readonly source = 'local-ca'
  readonly #ca: LocalCa
  readonly #options: LocalCaIssuerOptions

  constructor(ca: LocalCa, options: LocalCaIssuerOptions = {}) {
    if (typeof ca?.issue !== 'function') {
      throw new TypeError('LocalCaIssuer needs a LocalCa; get one with LocalCa.load(storage)')
    }
    this.#ca = ca
    this.#options = { ...options }
  }

  async issue(
    identifiers: Identifier[],
    options: { replaces?: string; signal?: AbortSignal } = {},
  ): Promise<IssuedPair> {
    const issued = await this.#ca.issue(
      identifiers.map((id) => id.value),
      {
        ...this.#options,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    )
    return { certificatePem: issued.leafPem, privateKeyPem: issued.privateKeyPem }
  }
}
