/**
 * PEM (RFC 7468) to DER and back. RFC 7468 §2 lets text appear between blocks and lines end in CRLF;
 * CAs send both (RFC 8555 §9.1 chains are `application/pem-certificate-chain`), so parsing is lax and
 * writing is strict: 64-column base64, LF line ends.
 */

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes the first PEM block of `pem` (any label) to DER bytes. Throws a TypeError when there is no
 * complete block or its body is not base64.
 */
export function pemToDer(pem: string): Uint8Array {
  if (typeof pem !== 'string') throw new TypeError(`pemToDer needs a string, got ${typeof pem}`)
  const match = new RegExp(BLOCK.source).exec(pem)
  if (!match)
    throw new TypeError(
      'no PEM block found: expected "-----BEGIN <LABEL>-----" … "-----END <LABEL>-----"',
    )
  return decodeBody(match[2] ?? '', match[1] ?? '')
}

/** Encodes DER bytes as a PEM block with the given label, e.g. `CERTIFICATE`. */
export function derToPem(der: Uint8Array, label: string): string {
  if (!/^[A-Z0-9]+(?: [A-Z0-9]+)*$/.test(label)) {
    throw new RangeError(
      `bad PEM label ${JSON.stringify(label)}; use upper-case words such as "CERTIFICATE"`,
    )
  }
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/**
 * Splits a PEM chain into its `CERTIFICATE` blocks, in order, each re-encoded canonically (LF line ends,
 * ending in a newline). Other blocks and text between blocks are skipped. Returns `[]` when there are
 * none.
 */
export function splitPemChain(pem: string): string[] {
  if (typeof pem !== 'string')
    throw new TypeError(`splitPemChain needs a string, got ${typeof pem}`)
  const out: string[] = []
  for (const match of pem.matchAll(BLOCK)) {
    if (match[1] !== 'CERTIFICATE') continue
    out.push(derToPem(decodeBody(match[2] ?? '', 'CERTIFICATE'), 'CERTIFICATE'))
  }
  return out
}

function decodeBody(body: string, label: string): Uint8Array {
  const compact = body.replace(/\s+/g, '')
  if (compact.length === 0 || !BASE64.test(compact)) {
    throw new TypeError(`PEM block "${label}" does not contain valid base64`)
  }
  return new Uint8Array(Buffer.from(compact, 'base64'))
}
