import type { Identifier } from '../acme/types.js'
import type { ChallengeSolver } from './challenge-solver.js'
import { InvalidIdentifierError } from './identifiers.js'

/**
 * Refuses, before anything is sent to the CA, identifiers that no configured solver can validate:
 * a wildcard needs dns-01 (RFC 8555 §7.1.3), and an IP address cannot use dns-01 (RFC 8738 §7).
 */
export function checkSolvable(
  identifiers: readonly Identifier[],
  solvers: readonly ChallengeSolver[],
): void {
  const types = new Set(solvers.map((s) => s.type))
  if (types.size === 0) throw new TypeError('obtain() needs at least one challenge solver')
  for (const id of identifiers) {
    if (id.type === 'dns' && id.value.startsWith('*.') && !types.has('dns-01')) {
      throw new InvalidIdentifierError(
        id.value,
        'a wildcard can only be validated with the dns-01 challenge; use --challenge dns-01',
      )
    }
    if (id.type === 'ip' && !types.has('http-01') && !types.has('tls-alpn-01')) {
      throw new InvalidIdentifierError(
        id.value,
        'an IP address cannot be validated with dns-01 (RFC 8738); use http-01 or tls-alpn-01',
      )
    }
  }
}
