import type { AcmeClient } from '../acme/client.js'
import { certId } from '../acme/cert-id.js'
import type { Identifier } from '../acme/types.js'
import type { KeyType } from '../crypto/keys.js'
import { GatehouseError } from '../errors.js'
import type { ChallengeSolver } from '../issuance/challenge-solver.js'
import { obtain } from '../issuance/obtain.js'
import type { IssuedPair, Issuer, IssuerRenewalInfo } from './issuer.js'

export interface AcmeIssuerOptions {
  /** A client whose account exists (see `loadOrCreateAccount`). */
  client: AcmeClient
  /** The client's directory URL: the issuer's storage `key`. */
  directoryUrl: string
  /** Solvers in order of preference (see `obtain`). */
  solvers: readonly ChallengeSolver[]
  /**
   * draft-ietf-acme-profiles: the profile to ask for. Default: the CA's default, except for a
   * certificate with an IP address when the CA offers {@link IP_PROFILE} (see `issue`).
   */
  profile?: string
  /** Key type of new certificate keys. Default `ec256`. */
  keyType?: KeyType
  /** Issuer CN of the preferred chain's top certificate (RFC 8555 §7.4.2). */
  preferredChain?: string
}

/**
 * The profile chosen for IP-address certificates (RFC 8738) when none is configured: Let's Encrypt
 * issues IP certificates only under `shortlived` (6-day certificates), since an IP address changes
 * hands far more often than a domain name.
 */
export const IP_PROFILE = 'shortlived'

/** An {@link Issuer} that obtains certificates from an ACME CA through `obtain()` (RFC 8555 §7.1). */
export class AcmeIssuer implements Issuer {
  readonly key: string
  readonly source = 'acme'
  readonly #options: AcmeIssuerOptions

  constructor(options: AcmeIssuerOptions) {
    if (typeof options?.directoryUrl !== 'string' || !URL.canParse(options.directoryUrl)) {
      throw new TypeError(
        `AcmeIssuer directoryUrl ${JSON.stringify(options?.directoryUrl)} is not a URL; pass the CA's directory URL`,
      )
    }
    if (!(options.solvers?.length > 0)) {
      throw new TypeError('AcmeIssuer needs at least one challenge solver in `solvers`')
    }
    this.key = options.directoryUrl
    this.#options = { ...options, solvers: [...options.solvers] }
  }

  async issue(
    identifiers: Identifier[],
    options: { replaces?: string; signal?: AbortSignal } = {},
  ): Promise<IssuedPair> {
    const { client, solvers, keyType, preferredChain } = this.#options
    const profile = this.#options.profile ?? (await this.#ipProfile(identifiers, options.signal))
    const result = await obtain(identifiers, {
      client,
      solvers,
      ...(profile !== undefined ? { profile } : {}),
      ...(keyType !== undefined ? { keyType } : {}),
      ...(preferredChain !== undefined ? { preferredChain } : {}),
      ...(options.replaces !== undefined ? { replaces: options.replaces } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
    return { certificatePem: result.certificatePem, privateKeyPem: result.privateKeyPem }
  }

  /** {@link IP_PROFILE} when an identifier is an IP address and the CA's directory offers it. */
  async #ipProfile(
    identifiers: Identifier[],
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    if (!identifiers.some((id) => id.type === 'ip')) return undefined
    const dir = await this.#options.client.directory(signal ? { signal } : {})
    return dir.meta?.profiles && Object.hasOwn(dir.meta.profiles, IP_PROFILE)
      ? IP_PROFILE
      : undefined
  }

  /**
   * RFC 9773 §4.2. `undefined` when the CA has no `renewalInfo` in its directory, or when the
   * certificate has no authorityKeyIdentifier and so no CertID (RFC 9773 §4.1): both mean "renew
   * by lifetime", not an error to retry.
   */
  async renewalInfo(
    certificatePem: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<IssuerRenewalInfo | undefined> {
    let id: string
    try {
      id = certId(certificatePem)
    } catch (err) {
      if (err instanceof GatehouseError && err.code === 'ERR_CERTIFICATE') return undefined
      throw err
    }
    try {
      const { info, retryAfterMs } = await this.#options.client.renewalInfo(
        id,
        options.signal ? { signal: options.signal } : {},
      )
      return {
        window: {
          start: new Date(info.suggestedWindow.start),
          end: new Date(info.suggestedWindow.end),
        },
        ...(info.explanationURL !== undefined ? { explanationURL: info.explanationURL } : {}),
        retryAfterMs,
      }
    } catch (err) {
      if (err instanceof GatehouseError && err.code === 'ERR_UNSUPPORTED') return undefined
      throw err
    }
  }
}
