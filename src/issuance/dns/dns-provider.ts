/**
 * The DNS-01 seam: a `DnsProvider` publishes and withdraws the TXT record the CA looks up
 * (RFC 8555 §8.4). Everything DNS-host specific lives behind it.
 */

/**
 * Publishes and removes TXT records for DNS-01 challenges.
 *
 * Contract:
 * - `fqdn` is absolute with a trailing dot (`_acme-challenge.example.com.`) and compared
 *   case-insensitively; `value` is the base64url key-authorization digest (RFC 8555 §8.4), though a
 *   provider must accept any text, including values longer than 255 bytes.
 * - `present` adds `value` at `fqdn` and never removes other values at the same name: a wildcard and its
 *   base name (`*.example.com` and `example.com`) need two TXT values there at once. Presenting a value
 *   that is already there succeeds.
 * - `cleanup` removes exactly that value. It is idempotent: removing a value that is not there succeeds.
 * - Both resolve once the provider's authoritative source has accepted the change; they do not wait for
 *   propagation (see `waitForTxt`). Failures reject with a `GatehouseError` coded `ERR_DNS_PROVIDER`
 *   (or `ERR_ABORTED` when `signal` aborts).
 * - A provider must be safe to call concurrently for different names and values.
 */
export interface DnsProvider {
  /** Creates the TXT record `value` at `fqdn`. Adds; never removes other values at the same name. */
  present(fqdn: string, value: string, options?: { signal?: AbortSignal }): Promise<void>
  /** Removes exactly that value. Idempotent: removing a value that is not there succeeds. */
  cleanup(fqdn: string, value: string, options?: { signal?: AbortSignal }): Promise<void>
}

/**
 * The name a DNS-01 TXT record lives at (RFC 8555 §8.4): `_acme-challenge.` before the domain, with a
 * wildcard's `*.` removed (RFC 8555 §7.1.3: a wildcard is validated on its base name), lowercase and
 * absolute.
 */
export function challengeFqdn(domain: string): string {
  if (typeof domain !== 'string' || domain.trim() === '' || domain === '*.') {
    throw new RangeError(`domain "${String(domain)}" is empty; pass a DNS name such as example.com`)
  }
  const base = (domain.startsWith('*.') ? domain.slice(2) : domain).toLowerCase()
  const absolute = base.endsWith('.') ? base : `${base}.`
  return `_acme-challenge.${absolute}`
}
