/**
 * The request body handed to undici when it cannot go as is: undici destroys a body stream once
 * sent (or on error), and destroying an HTTP/2 stream or a half-read IncomingMessage would take the
 * response or the connection with it. This readable of our own also enforces a body limit when the
 * length is not known up front (chunked): it fails before the first byte over the limit is passed on.
 */
import { Transform, type Readable } from 'node:stream'

export class BodyTooLarge extends Error {
  readonly code = 'GATEHOUSE_BODY_TOO_LARGE'
}

export function limitedBody(source: Readable, maxBytes: number): Readable {
  let seen = 0
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length
      if (seen > maxBytes) callback(new BodyTooLarge(`request body larger than ${maxBytes} bytes`))
      else callback(null, chunk)
    },
  })
  source.pipe(out)
  // pipe() does not forward errors: a client that aborts mid-upload must fail the upstream request.
  source.once('error', (err) => out.destroy(err))
  source.once('aborted', () => out.destroy(new Error('the client aborted the upload')))
  return out
}
