/** RFC 4648 §5 base64url without padding, as RFC 7515 §2 requires for every JWS part. */
export function base64url(data: Uint8Array | string): string {
  return Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString(
    'base64url',
  )
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

/** Decodes base64url, rejecting any character outside the alphabet (Buffer would silently skip it). */
export function base64urlDecode(text: string): Buffer {
  if (!BASE64URL.test(text)) {
    throw new TypeError(
      `not base64url: ${JSON.stringify(text.slice(0, 40))}; use only A-Z a-z 0-9 - _`,
    )
  }
  return Buffer.from(text, 'base64url')
}

/** True if `text` is non-empty base64url (RFC 8555 §6.5.1 demands this of nonces). */
export function isBase64url(text: string): boolean {
  return text.length > 0 && BASE64URL.test(text)
}
