/**
 * The gateway's size limits on a request's head, checked before anything else is read of it, on
 * HTTP/1.1 and HTTP/2 alike.
 */
import type { Refusal } from './request-checks.js'
import type { GatewayLimits } from './types.js'

/** RFC 9110 §15.5.15 (414) and RFC 6585 §5 (431); the parser's own bound is looser, see front. */
export function limitsRefusal(
  limits: GatewayLimits,
  urlLength: number,
  raw: readonly string[],
): Refusal | undefined {
  const { maxUrlBytes, maxHeaderCount, maxHeaderBytes } = limits
  if (urlLength > maxUrlBytes)
    return {
      status: 414,
      message: `request-target longer than ${maxUrlBytes} bytes`,
      close: true,
    }
  if (raw.length / 2 > maxHeaderCount)
    return { status: 431, message: `more than ${maxHeaderCount} header fields`, close: true }
  let bytes = 0
  // Each field as on the wire: name, ": ", value, CRLF.
  for (let i = 0; i < raw.length; i++) bytes += (raw[i] as string).length + 2
  if (bytes > maxHeaderBytes) {
    const message = `request header fields larger than ${maxHeaderBytes} bytes`
    return { status: 431, message, close: true }
  }
  return undefined
}
