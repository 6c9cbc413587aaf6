import { webcrypto, type KeyObject } from 'node:crypto'
import { loadX509 } from './load-x509.js'
import type { JsonGeneralName } from './x509.js'
import type { Identifier } from '../acme/types.js'
import { toWebKeyPair } from './web-key-pair.js'
import { canonicalIp } from './ip.js'

/** RFC 5280 Appendix A.1 `ub-common-name`: a CN longer than this is not allowed. */
const MAX_COMMON_NAME_LENGTH = 64

/**
 * Builds the DER CSR for an ACME finalize request (RFC 8555 §7.4: "the CSR MUST indicate the exact
 * same set of requested identifiers as the initial newOrder request"). Every identifier goes into the
 * subjectAltName extension: DNS names (wildcards included) as dNSName, IP addresses as iPAddress
 * (RFC 8738 §3). The subject CN is the first DNS name when it fits in 64 characters, because some
 * clients still read it; with only IP identifiers there is no CN at all, since Let's Encrypt refuses
 * IP addresses in the CN.
 */
export async function createCsr(identifiers: Identifier[], key: KeyObject): Promise<Uint8Array> {
  if (!Array.isArray(identifiers) || identifiers.length === 0) {
    throw new RangeError('createCsr needs at least one identifier')
  }
  const names = identifiers.map(toGeneralName)
  const firstDns = identifiers.find((id) => id.type === 'dns')?.value
  const x509 = await loadX509()
  const { keys, signingAlgorithm } = await toWebKeyPair(key)
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name:
        firstDns !== undefined && firstDns.length <= MAX_COMMON_NAME_LENGTH
          ? [{ CN: [firstDns] }]
          : [],
      extensions: [new x509.SubjectAlternativeNameExtension(names, false)],
      signingAlgorithm,
      keys,
    },
    webcrypto,
  )
  return new Uint8Array(csr.rawData)
}

function toGeneralName(id: Identifier): JsonGeneralName {
  if (id.type === 'dns') {
    if (typeof id.value !== 'string' || id.value.length === 0) {
      throw new RangeError(
        `bad dns identifier ${JSON.stringify(id.value)}; give a host name such as "example.com"`,
      )
    }
    return { type: 'dns', value: id.value }
  }
  if (id.type === 'ip') {
    const ip = canonicalIp(id.value)
    if (ip === undefined) {
      throw new RangeError(
        `bad ip identifier ${JSON.stringify(id.value)}; give an IPv4 or IPv6 address`,
      )
    }
    return { type: 'ip', value: ip }
  }
  throw new RangeError(
    `unknown identifier type ${JSON.stringify((id as { type: unknown }).type)}; use "dns" or "ip"`,
  )
}
