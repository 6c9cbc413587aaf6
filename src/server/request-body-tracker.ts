/**
 * The framing tracker of a request's body (RFC 9112 §6.3): chunked, or Content-Length (the parser
 * refuses a request that sends both); a request with neither, or a length of 0, has no body to
 * track (§6.3 item 7).
 */
import type { RequestHead } from '../proxy/request-head.js'
import { bodyTracker, type BodyTracker } from '../proxy/response-body.js'

export function requestBodyTracker(head: RequestHead): BodyTracker | undefined {
  const framing = head.chunked
    ? ({ kind: 'chunked' } as const)
    : head.contentLength
      ? ({ kind: 'length', length: head.contentLength } as const)
      : undefined
  return framing ? bodyTracker(framing) : undefined
}
