import type { AcmeClient } from '../acme/client.js'
import type { Clock } from '../clock.js'
import { parseKeyType } from '../crypto/keys.js'
import { GatehouseError } from '../errors.js'
import type { ChallengeSolver } from '../issuance/challenge-solver.js'
import { parseIdentifier } from '../issuance/identifiers.js'
import { LocalCa } from '../local-ca/local-ca.js'
import type { Storage } from '../storage/storage.js'
import { CertificateCache } from '../tls/certificate-cache.js'
import { AcmeIssuer } from './acme-issuer.js'
import { CertificateManager, type RenewDueResult } from './certificate-manager.js'
import { listCertificates, type CertificateMeta } from './certificate-store.js'
import type { Issuer } from './issuer.js'
import { LOCAL_CA_ISSUER_KEY, LocalCaIssuer } from './local-ca-issuer.js'

export interface RenewStoredOptions {
  storage: Storage
  /** The ACME CA whose stored certificates are looked at (with the local CA's). */
  directoryUrl: string
  /** Signs in to the CA; called for each group of ACME certificates to look at (memoize it). */
  client: () => Promise<AcmeClient>
  /** How challenges are answered for ACME renewals. */
  solvers: readonly ChallengeSolver[]
  /** Only the certificates covering these names; default: every stored certificate. */
  names?: readonly string[]
  /** Renew whether due or not. */
  force?: boolean
  signal?: AbortSignal
  clock?: Clock
}

/**
 * Renews the stored certificates of one ACME CA and of the local CA that are due, or all those
 * named with `force`, through the certificate manager's own `renewDue` (ARI, `replaces`, storage
 * locks shared with running servers). Each certificate keeps its names, key type and profile.
 * Revoked certificates are left alone. Throws ERR_CONFIG for a name no stored certificate covers.
 */
export async function renewStored(options: RenewStoredOptions): Promise<RenewDueResult[]> {
  const { storage, directoryUrl } = options
  const acme = await listCertificates(storage, directoryUrl)
  const local = await listCertificates(storage, LOCAL_CA_ISSUER_KEY)
  const selected = select(
    [...acme, ...local].filter((m) => !m.revoked),
    options.names,
    directoryUrl,
  )
  const groups = new Map<string, CertificateMeta[]>()
  for (const meta of selected) {
    const key = `${meta.directoryUrl}|${meta.keyType ?? ''}|${meta.profile ?? ''}`
    groups.set(key, [...(groups.get(key) ?? []), meta])
  }
  const results: RenewDueResult[] = []
  for (const metas of groups.values()) {
    const first = metas[0]
    if (first === undefined) continue
    const manager = new CertificateManager({
      storage,
      issuer: await issuerFor(first, options),
      cache: new CertificateCache(),
      names: metas.map((m) => m.identifiers.map((id) => id.value)),
      ...(options.clock ? { clock: options.clock } : {}),
    })
    try {
      const signal = options.signal ? { signal: options.signal } : {}
      results.push(...(await manager.renewDue({ force: options.force === true, ...signal })))
    } finally {
      await manager.stop()
    }
  }
  return results
}

function select(
  stored: CertificateMeta[],
  names: readonly string[] | undefined,
  directoryUrl: string,
): CertificateMeta[] {
  if (names === undefined || names.length === 0) return stored
  const out = new Set<CertificateMeta>()
  for (const raw of names) {
    const value = parseIdentifier(raw).value
    const meta =
      stored.find((m) => m.name === value) ??
      stored.find((m) => m.identifiers.some((id) => id.value === value))
    if (!meta) {
      throw new GatehouseError(
        'ERR_CONFIG',
        `no stored certificate covers ${value} (looked at ${directoryUrl} and the local CA); see gatehouse certs list`,
      )
    }
    out.add(meta)
  }
  return [...out]
}

async function issuerFor(meta: CertificateMeta, options: RenewStoredOptions): Promise<Issuer> {
  const keyType = meta.keyType !== undefined ? parseKeyType(meta.keyType) : undefined
  if (meta.directoryUrl === LOCAL_CA_ISSUER_KEY) {
    const ca = await LocalCa.load(options.storage, options.clock ? { clock: options.clock } : {})
    return new LocalCaIssuer(ca, keyType ? { keyType } : {})
  }
  return new AcmeIssuer({
    client: await options.client(),
    directoryUrl: options.directoryUrl,
    solvers: options.solvers,
    ...(keyType ? { keyType } : {}),
    ...(meta.profile !== undefined ? { profile: meta.profile } : {}),
  })
}
