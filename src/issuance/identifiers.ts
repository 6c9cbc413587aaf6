import { isIP } from 'node:net'
import { domainToASCII } from 'node:url'
import { canonicalIp } from '../crypto/ip.js'
import { GatehouseError } from '../errors.js'
import type { Identifier } from '../acme/types.js'

/** An identifier given by a user was rejected before anything was sent to the CA. */
export class InvalidIdentifierError extends GatehouseError {
  readonly input: string
  constructor(input: string, why: string) {
    super('ERR_INVALID_IDENTIFIER', `invalid name ${JSON.stringify(input)}: ${why}`)
    this.input = input
  }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * Parses a name or IP address as typed by a user (`example.com`, `*.example.com`, `192.0.2.1`,
 * `2001:db8::1`, `[2001:db8::1]`) into an ACME identifier: DNS names lower-cased and converted to
 * A-labels (IDNA), IP addresses in canonical form (RFC 8738 §3 wants the textual form of RFC 5952).
 */
export function parseIdentifier(input: string): Identifier {
  const raw = input.trim()
  if (raw === '') throw new InvalidIdentifierError(input, 'empty')
  const unbracketed = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw
  const ip = canonicalIp(unbracketed)
  if (ip !== undefined) return { type: 'ip', value: ip }
  if (raw.includes(':') || raw.includes('/')) {
    throw new InvalidIdentifierError(
      input,
      'give a bare name or IP address, without scheme, port or path',
    )
  }
  if (raw.startsWith('*.') && isIP(raw.slice(2))) {
    throw new InvalidIdentifierError(input, 'an IP address cannot be a wildcard')
  }
  const name = raw.endsWith('.') ? raw.slice(0, -1) : raw
  const wildcard = name.startsWith('*.')
  const rest = wildcard ? name.slice(2) : name
  const ascii = domainToASCII(rest)
  if (ascii === '') throw new InvalidIdentifierError(input, 'not a valid domain name')
  const labels = ascii.split('.')
  if (labels.length < 2 && ascii !== 'localhost') {
    throw new InvalidIdentifierError(input, 'a certificate name needs at least two labels')
  }
  for (const label of labels) {
    if (label.includes('*')) {
      throw new InvalidIdentifierError(
        input,
        'a wildcard may only be the whole left-most label (`*.example.com`)',
      )
    }
    if (!LABEL.test(label)) {
      throw new InvalidIdentifierError(
        input,
        `label ${JSON.stringify(label)} is not letters, digits and inner hyphens of 1 to 63 characters`,
      )
    }
  }
  const value = (wildcard ? '*.' : '') + ascii
  if (value.length > 253) throw new InvalidIdentifierError(input, 'longer than 253 characters')
  return { type: 'dns', value }
}

/** Parses and de-duplicates a list of names, keeping the first occurrence's order. */
export function parseIdentifiers(inputs: readonly string[]): Identifier[] {
  if (inputs.length === 0)
    throw new InvalidIdentifierError('', 'give at least one name or IP address')
  const seen = new Set<string>()
  const out: Identifier[] = []
  for (const input of inputs) {
    const id = parseIdentifier(input)
    const key = `${id.type}:${id.value}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(id)
    }
  }
  return out
}

/** `dns:example.com` / `ip:192.0.2.1`: a stable key for maps and messages. */
export function identifierKey(id: Identifier): string {
  return `${id.type}:${id.value}`
}
