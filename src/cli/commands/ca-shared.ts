import type { Identifier } from '../../acme/types.js'
import { pickFlags, type FlagSpecs } from '../args.js'
import { COMMON_FLAGS } from '../context.js'
import type { TrustStep } from '../../local-ca/trust-step.js'

/** The common flags that mean something to commands which never talk to an ACME CA. */
export const LOCAL_COMMON_FLAGS: FlagSpecs = pickFlags(COMMON_FLAGS, [
  'home',
  'json',
  'debug',
  'help',
])

/**
 * A file name for the first identifier, after mkcert's convention: `*.app.test` → `_wildcard.app.test`;
 * IPv6 colons become `_` because Windows cannot hold them in a file name.
 */
export function fileBaseName(id: Identifier): string {
  return id.value.replace(/^\*\./, '_wildcard.').replace(/:/g, '_')
}

/** One line per trust step, status first, aligned: `  done     added to NSS database sql:/…`. */
export function formatSteps(steps: readonly TrustStep[]): string {
  return steps.map((s) => `  ${s.status.padEnd(8)} ${s.message}\n`).join('')
}
