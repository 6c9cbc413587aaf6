/**
 * The request an HTTP/1.1 connection (http1-connection.ts) hands its handler, with the means to
 * send `100 Continue` when the client waits for it before sending its body (RFC 9110 §10.1.1).
 */
import type { Duplex, Readable } from 'node:stream'
import type { RequestHead } from '../proxy/request-head.js'
import type { Http1Request } from '../proxy/types.js'

/** What a request's 100 Continue asks of its connection. */
export interface ContinueOwner {
  /**
   * Sends 100 Continue for `body` if its request is still being read; returns whether it did. Once
   * the request is over (answered, refused, or its body in), an interim answer would arrive after
   * the final one (RFC 9110 §15.2): the handler asked too late.
   */
  continueBody(body: Readable): boolean
}

/** The `continue` of a request with nothing to continue: compare with it to tell. */
export function noContinue(): void {}

export function http1Request(
  head: RequestHead,
  body: Readable | null,
  socket: Duplex,
  owner: ContinueOwner,
): Http1Request {
  if (!body || !expectsContinue(head.rawHeaders))
    return { head, body, socket, continue: noContinue }
  let sent = false
  const sendContinue = (): void => {
    if (!sent) sent = owner.continueBody(body)
  }
  return { head, body, socket, continue: sendContinue }
}

function expectsContinue(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 6 && name.toLowerCase() === 'expect')
      return (raw[i + 1] as string).toLowerCase() === '100-continue'
  }
  return false
}
