/**
 * The request body handed to undici when it cannot go as is: undici destroys a body stream once
 * sent (or on error), and destroying an HTTP/2 stream or a half-read IncomingMessage would take the
 * response or the connection with it. This readable of our own also enforces a body limit when the
 * length is not known up front (chunked): it fails before the first byte over the limit is passed on.
 */
import { Transform, type Duplex, type Readable } from 'node:stream'

export class BodyTooLarge extends Error {
  readonly code = 'GATEHOUSE_BODY_TOO_LARGE'
}

/** The client paused its upload past `server.body_timeout` (HTTP/2; HTTP/1.1's is the connection's). */
export class BodyStalled extends Error {
  readonly code = 'GATEHOUSE_BODY_STALLED'
}

/**
 * `source` as undici's body, failing with {@link BodyTooLarge} past `maxBytes` and, when `stallMs`
 * is given, with {@link BodyStalled} when the client sends nothing for that long. A pause while the
 * source is held for a full reader does not count (the upstream taking the upload slowly: HTTP/2
 * flow control then holds the client back, through no fault of its own).
 */
export function limitedBody(source: Readable, maxBytes: number, stallMs?: number): Readable {
  let seen = 0
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length
      if (seen > maxBytes) callback(new BodyTooLarge(`request body larger than ${maxBytes} bytes`))
      else callback(null, chunk)
    },
  })
  source.pipe(out)
  // undici listens for its errors once it takes the body; an answer given without an attempt (no
  // healthy upstream) never hands it over, and an 'error' nobody listens to would end the process.
  out.on('error', noop)
  // pipe() does not forward errors: a client that aborts mid-upload must fail the upstream request.
  source.once('error', (err) => out.destroy(err))
  source.once('aborted', () => out.destroy(new Error('the client aborted the upload')))
  if (stallMs !== undefined && stallMs > 0 && Number.isFinite(stallMs))
    watchStall(source, out, stallMs)
  return out
}

function watchStall(source: Readable, out: Duplex, ms: number): void {
  const expired = (): void => {
    // Held back by a full reader (pipe() pauses the source; it resumes by setting flowing, without
    // a 'resume' event, so the state is read here rather than followed).
    if (source.readableFlowing === false) return void timer.refresh()
    stop()
    out.destroy(new BodyStalled(`request body stalled: no byte for ${ms} ms`))
  }
  const timer = setTimeout(expired, ms).unref()
  const read = (): void => void timer.refresh()
  const stop = (): void => {
    clearTimeout(timer)
    source.off('data', read)
    out.off('drain', read)
  }
  source.on('data', read)
  // pipe() resumes the source on `out`'s 'drain': the client, held back by flow control till then,
  // has the whole bound from there (its next DATA frame is a WINDOW_UPDATE round trip away).
  out.on('drain', read)
  source.once('end', stop).once('close', stop)
  out.once('close', stop)
}

function noop(): void {}
