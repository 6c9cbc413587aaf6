import { isLocalName } from '../local-ca/name-constraints.js'
import { CertificateManager } from '../manager/certificate-manager.js'
import type { Issuer } from '../manager/issuer.js'
import { OnDemandIssuance } from '../manager/on-demand.js'
import type { CertificateCache } from '../tls/certificate-cache.js'
import type { TlsConfig } from '../config/types.js'
import type { ManagedCertificatesOptions } from './managed-certificates.js'

/** On-demand issuance for `serve`: the policy and the managers that take the names it allows. */
export interface OnDemand {
  issuance: OnDemandIssuance
  managers: CertificateManager[]
  /** The issuer of each manager, in the same order. */
  issuers: Issuer[]
}

/**
 * `[tls.on_demand]`: a name with no configured certificate is allowed or refused at its first
 * handshake (allow list, ask endpoint, rate limit), then obtained by the ACME manager, or the local
 * CA's for local names, and renewed like a configured one.
 */
export function onDemandFor(
  o: ManagedCertificatesOptions,
  policy: NonNullable<TlsConfig['onDemand']>,
  cache: CertificateCache,
  [acme, local]: [Issuer, Issuer],
): OnDemand {
  const manager = (issuer: Issuer): CertificateManager =>
    new CertificateManager({
      storage: o.storage,
      issuer,
      cache,
      names: [],
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    })
  const managers = [manager(acme), manager(local)]
  const issuance = new OnDemandIssuance({
    policy: { allow: policy.allow, ...(policy.ask ? { ask: policy.ask } : {}) },
    managerFor: (id) => (isLocalName(id.value) ? managers[1] : managers[0]),
    logger: o.logger,
    ...(o.clock ? { clock: o.clock } : {}),
  })
  return { issuance, managers, issuers: [acme, local] }
}
