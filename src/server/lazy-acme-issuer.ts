import type { AcmeClient } from '../acme/client.js'
import type { Identifier } from '../acme/types.js'
import type { KeyType } from '../crypto/keys.js'
import type { ChallengeSolver } from '../issuance/challenge-solver.js'
import { loadOrCreateAccount } from '../manager/account-store.js'
import { AcmeIssuer } from '../manager/acme-issuer.js'
import type { IssuedPair, Issuer, IssuerRenewalInfo } from '../manager/issuer.js'
import type { Storage } from '../storage/storage.js'

export interface LazyAcmeIssuerOptions {
  storage: Storage
  directoryUrl: string
  caCerts: string[]
  solvers: readonly ChallengeSolver[]
  email?: string
  eab?: { kid: string; hmacKey: string }
  profile?: string
  keyType?: KeyType
}

/**
 * An ACME issuer that signs in to its account on first use, so a server starts even while the CA is
 * unreachable; a failed sign-in is retried by the next issuance (the manager's back-off applies).
 */
export class LazyAcmeIssuer implements Issuer {
  readonly key: string
  readonly source = 'acme'
  readonly #options: LazyAcmeIssuerOptions
  #ready: Promise<{ client: AcmeClient; issuer: AcmeIssuer }> | undefined

  constructor(options: LazyAcmeIssuerOptions) {
    this.#options = options
    this.key = options.directoryUrl
  }

  async issue(
    identifiers: Identifier[],
    options: { replaces?: string; signal?: AbortSignal },
  ): Promise<IssuedPair> {
    return (await this.#issuer(options.signal)).issuer.issue(identifiers, options)
  }

  async renewalInfo(
    certificatePem: string,
    options: { signal?: AbortSignal },
  ): Promise<IssuerRenewalInfo | undefined> {
    return (await this.#issuer(options.signal)).issuer.renewalInfo(certificatePem, options)
  }

  async close(): Promise<void> {
    const ready = await this.#ready?.catch(() => undefined)
    await ready?.client.close()
  }

  #issuer(signal: AbortSignal | undefined): Promise<{ client: AcmeClient; issuer: AcmeIssuer }> {
    const o = this.#options
    this.#ready ??= loadOrCreateAccount({
      storage: o.storage,
      directoryUrl: o.directoryUrl,
      caCerts: o.caCerts,
      ...(o.email ? { email: o.email } : {}),
      ...(o.eab ? { eab: o.eab } : {}),
      ...(signal ? { signal } : {}),
    }).then((client) => ({
      client,
      issuer: new AcmeIssuer({
        client,
        directoryUrl: o.directoryUrl,
        solvers: o.solvers,
        ...(o.profile ? { profile: o.profile } : {}),
        ...(o.keyType ? { keyType: o.keyType } : {}),
      }),
    }))
    this.#ready.catch(() => (this.#ready = undefined))
    return this.#ready
  }
}
