import { certId } from '../acme/cert-id.js'
import type { Identifier } from '../acme/types.js'
import { certificateMatchesKey, parseCertificate } from '../crypto/certificate.js'
import { importPrivateKeyPem } from '../crypto/keys.js'
import { GatehouseError } from '../errors.js'
import type { Storage } from '../storage/storage.js'
import { describeCertificate, loadCertificate, saveCertificate } from './certificate-store.js'
import type { IssuedPair } from './issuer.js'
import type { CertificateSummary } from './manager-events.js'
import { certificateName } from './storage-keys.js'

/** A certificate the manager serves (or could): its PEMs and what the schedule reads from it. */
export interface ServedCertificate extends CertificateSummary {
  certificatePem: string
  privateKeyPem: string
}

/**
 * Parses a certificate and checks that `privateKeyPem` is its key, so nothing unservable reaches
 * the cache. `where` names the source in the error (an issuer key or a storage key).
 * Throws ERR_CERTIFICATE.
 */
export function inspectCertificate(
  certificatePem: string,
  privateKeyPem: string,
  where: string,
): ServedCertificate {
  const info = parseCertificate(certificatePem)
  if (!certificateMatchesKey(certificatePem, importPrivateKeyPem(privateKeyPem))) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `certificate ${info.serialHex} from ${where} does not match its private key`,
    )
  }
  let id: string | undefined
  try {
    id = certId(certificatePem)
  } catch {
    id = undefined // no AKI: no ARI and no `replaces` for this one (RFC 9773 §4.1)
  }
  return {
    serialHex: info.serialHex,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    ...optional('certId', id),
    certificatePem,
    privateKeyPem,
  }
}

/** The event view of a served certificate: no key material. */
export function summarize(served: ServedCertificate): CertificateSummary {
  const { serialHex, notBefore, notAfter } = served
  return { serialHex, notBefore, notAfter, ...optional('certId', served.certId) }
}

/** `{ [key]: value }`, or `{}` when value is undefined (exactOptionalPropertyTypes). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

/**
 * The stored certificate for `name` under `issuerKey` when it can be served at `now`: it parses,
 * matches its key and has not expired. A corrupt or mismatched one reads as absent: the next
 * issuance overwrites it.
 */
export async function loadServable(
  storage: Storage,
  issuerKey: string,
  name: string,
  now: number,
): Promise<ServedCertificate | undefined> {
  const stored = await loadCertificate(storage, issuerKey, name)
  if (stored === undefined) return undefined
  let served: ServedCertificate
  try {
    served = inspectCertificate(stored.certificatePem, stored.privateKeyPem, stored.keys.cert)
  } catch {
    return undefined
  }
  return served.notAfter.getTime() > now ? served : undefined
}

/**
 * Checks a freshly issued pair and stores it under `issuerKey` with the certificate-store layout
 * (key, certificate, then metadata). The issuer key stands in for the ACME directory URL.
 */
export async function storeIssued(
  storage: Storage,
  issuerKey: string,
  identifiers: Identifier[],
  pair: IssuedPair,
  now: number,
): Promise<ServedCertificate> {
  const served = inspectCertificate(pair.certificatePem, pair.privateKeyPem, issuerKey)
  await saveCertificate(storage, {
    meta: describeCertificate(served.certificatePem, {
      name: certificateName(identifiers),
      identifiers,
      directoryUrl: issuerKey,
      obtainedAt: new Date(now),
      orderUrl: '',
      certificateUrl: '',
      ...optional('certId', served.certId),
    }),
    certificatePem: served.certificatePem,
    privateKeyPem: served.privateKeyPem,
  })
  return served
}
