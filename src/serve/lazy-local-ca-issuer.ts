import type { Clock } from '../clock.js'
import { LocalCa } from '../local-ca/local-ca.js'
import type { Issuer } from '../manager/issuer.js'
import { LOCAL_CA_ISSUER_KEY, LocalCaIssuer } from '../manager/local-ca-issuer.js'
import type { Storage } from '../storage/storage.js'

/** The local-CA issuer, loading (or creating) the CA on first use when it was not needed at start. */
export function lazyLocalCaIssuer(
  storage: Storage,
  clock: Clock | undefined,
  ca: LocalCa | undefined,
): Issuer {
  let issuer: Promise<LocalCaIssuer> | undefined = ca
    ? Promise.resolve(new LocalCaIssuer(ca))
    : undefined
  return {
    key: LOCAL_CA_ISSUER_KEY,
    source: 'local-ca',
    async issue(identifiers, options) {
      // A failed load is retried by the next issuance (the manager's back-off applies).
      issuer ??= LocalCa.load(storage, clock ? { clock } : {}).then(
        (c) => new LocalCaIssuer(c),
        (err: unknown) => {
          issuer = undefined
          throw err
        },
      )
      return (await issuer).issue(identifiers, options)
    },
  }
}
