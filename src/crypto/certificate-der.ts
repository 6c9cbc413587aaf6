import { AsnConvert, type OctetString } from '@peculiar/asn1-schema'
import {
  AuthorityKeyIdentifier,
  Certificate,
  id_ce_authorityKeyIdentifier,
} from '@peculiar/asn1-x509'
import { GatehouseError } from '../errors.js'
import { pemToDer, splitPemChain } from './pem.js'

/**
 * Raw fields of a certificate read straight from its DER. Hex strings and big integers lose what ARI
 * needs (RFC 9773 §4.1 hashes nothing but does keep the serial's DER bytes, leading 0x00 included),
 * so these are the bytes exactly as encoded.
 */
export interface CertificateDerFields {
  /** The serialNumber INTEGER's content octets, including a leading 0x00 when the DER has one. */
  serial: Uint8Array
  /** The authorityKeyIdentifier extension's keyIdentifier (RFC 5280 §4.2.1.1), if present. */
  authorityKeyIdentifier?: Uint8Array
}

/**
 * Accepts a PEM string (its first `CERTIFICATE` block; other blocks such as a key are skipped) or DER
 * bytes, and returns DER bytes.
 */
export function certificateDer(pemOrDer: string | Uint8Array): Uint8Array {
  if (typeof pemOrDer === 'string') {
    let first: string | undefined
    try {
      first = splitPemChain(pemOrDer)[0]
    } catch (err) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `cannot read certificate PEM: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    if (first === undefined) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        'no "-----BEGIN CERTIFICATE-----" block found in the PEM text',
      )
    }
    return pemToDer(first)
  }
  if (pemOrDer instanceof Uint8Array) return pemOrDer
  throw new TypeError(`expected a PEM string or DER bytes, got ${typeof pemOrDer}`)
}

/** Reads the serial and AKI bytes of a DER certificate; `ERR_CERTIFICATE` when it is not one. */
export function readCertificateDerFields(der: Uint8Array): CertificateDerFields {
  let cert: Certificate
  try {
    cert = AsnConvert.parse(der, Certificate)
  } catch (err) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `not a DER X.509 certificate: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  const tbs = cert.tbsCertificate
  const fields: CertificateDerFields = { serial: new Uint8Array(tbs.serialNumber.slice(0)) }
  const aki = tbs.extensions?.find((e) => e.extnID === id_ce_authorityKeyIdentifier)
  if (aki) {
    let parsed: AuthorityKeyIdentifier
    try {
      parsed = AsnConvert.parse(bytesOf(aki.extnValue), AuthorityKeyIdentifier)
    } catch (err) {
      throw new GatehouseError(
        'ERR_CERTIFICATE',
        `bad authorityKeyIdentifier extension: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    if (parsed.keyIdentifier) fields.authorityKeyIdentifier = bytesOf(parsed.keyIdentifier)
  }
  return fields
}

/** A copy of an asn1-schema OctetString's bytes. */
function bytesOf(octets: OctetString): Uint8Array {
  return new Uint8Array(octets.buffer, octets.byteOffset, octets.byteLength).slice()
}
