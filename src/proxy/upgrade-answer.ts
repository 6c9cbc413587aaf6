/**
 * The upstream's answer to a WebSocket handshake, read from the bytes of its connection: the head
 * (RFC 9112 §4, interim 1xx answers skipped), and for a final answer other than 101 its body as far
 * as its framing goes (RFC 9112 §6.3). Pure: the tunnel owns the connections and what is written.
 */
import {
  headEnd,
  MAX_RESPONSE_HEAD_BYTES,
  parseResponseHead,
  type ResponseHead,
} from './http-head.js'
import { bodyTracker, responseFraming, type BodyTracker } from './response-body.js'

/** What the bytes read so far amount to. Messages complete "upstream HOST:PORT ...". */
export type AnswerStep =
  | { kind: 'partial' }
  | { kind: 'malformed'; message: string }
  /** 101: `rest` is the first bytes of the upstream's side of the WebSocket. */
  | { kind: 'switch'; head: ResponseHead; rest: Buffer }
  /** Any other final answer, relayed instead of a tunnel: `rest` begins its body. */
  | { kind: 'final'; head: ResponseHead; body: BodyTracker; rest: Buffer }

export class UpgradeAnswer {
  readonly #method: string
  #received: Buffer = Buffer.alloc(0)

  /** `method` is the one sent upstream (a HEAD's answer has no body). */
  constructor(method: string) {
    this.#method = method
  }

  /** Reads the next bytes of the answer head; call until the step is no longer `partial`. */
  feed(chunk: Buffer): AnswerStep {
    const buf = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk])
    const end = headEnd(buf)
    if (end === -1 || end > MAX_RESPONSE_HEAD_BYTES) {
      if (end !== -1 || buf.length > MAX_RESPONSE_HEAD_BYTES)
        return malformed(`sent a response head over ${MAX_RESPONSE_HEAD_BYTES} bytes`)
      this.#received = buf
      return { kind: 'partial' }
    }
    this.#received = Buffer.alloc(0)
    let head: ResponseHead
    try {
      head = parseResponseHead(buf.toString('latin1', 0, end - 4))
    } catch (err) {
      return malformed(`sent a malformed response: ${message(err)}`)
    }
    const rest = buf.subarray(end)
    if (head.status === 101) return { kind: 'switch', head, rest }
    // Interim answers (100, 103) before the final one are not forwarded: the client asked to upgrade.
    if (head.status < 200) return rest.length > 0 ? this.feed(rest) : { kind: 'partial' }
    try {
      return { kind: 'final', head, body: bodyTracker(responseFraming(head, this.#method)), rest }
    } catch (err) {
      return malformed(`sent a malformed response: ${message(err)}`)
    }
  }
}

/**
 * The part of `chunk` that belongs to the body `tracker` follows, as the client gets it: as framed
 * (HTTP/1.1 passes the upstream's framing on), or `unframed`, the content alone (HTTP/2 frames it
 * itself, RFC 9113 §8.1). Throws on bad chunked framing.
 */
export function bodyBytes(tracker: BodyTracker, chunk: Buffer, unframed: boolean): Buffer {
  if (!unframed) {
    const take = tracker.feed(chunk)
    return take === chunk.length ? chunk : chunk.subarray(0, take)
  }
  const parts: Buffer[] = []
  tracker.feed(chunk, (data) => parts.push(data))
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
}

function malformed(text: string): AnswerStep {
  return { kind: 'malformed', message: text }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
