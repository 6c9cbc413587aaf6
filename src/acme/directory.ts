import { GatehouseError } from '../errors.js'
import type { Directory } from './types.js'

const REQUIRED = ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'] as const

/**
 * RFC 8555 §7.1.1: checks that the directory names every resource this client needs, as absolute
 * URLs, so a misconfigured directory URL fails here with one clear error instead of later.
 */
export function parseDirectory(value: unknown, url: string): Directory {
  const dir = value as Record<string, unknown>
  for (const name of REQUIRED) {
    if (!isUrl(dir[name])) {
      throw new GatehouseError(
        'ERR_ACME_PROTOCOL',
        `${url} is not an ACME directory: "${name}" is missing or not a URL (RFC 8555 §7.1.1)`,
      )
    }
  }
  if (dir['renewalInfo'] !== undefined && !isUrl(dir['renewalInfo'])) {
    throw new GatehouseError('ERR_ACME_PROTOCOL', `${url}: renewalInfo is not a URL (RFC 9773 §3)`)
  }
  return value as Directory
}

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    new URL(value)
    return true
  } catch {
    return false
  }
}
