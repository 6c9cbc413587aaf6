/**
 * Just enough of RFC 6455's framing for a tunnel that otherwise copies bytes: where each frame ends
 * (so a close frame of ours can be put between two frames, never inside one) and a close frame to
 * put there. Payloads are never read, unmasked or decompressed.
 */
import { randomBytes } from 'node:crypto'

/** RFC 6455 §7.4.1: the endpoint is going away (a server shutting down or a route removed). */
export const GOING_AWAY = 1001

/**
 * Follows the frames of one direction of a WebSocket connection by their headers (RFC 6455 §5.2):
 * 2 bytes, then 0, 2 or 8 bytes of extended length, then 4 bytes of masking key when MASK is set,
 * then the payload. Control frames may come between the fragments of a message (§5.4), so a frame
 * boundary is where a close frame may be sent.
 */
export class FrameBoundaries {
  readonly #head = Buffer.alloc(14)
  #headBytes = 0
  #payloadLeft = 0
  #bytes = 0

  /** How many bytes have been read through (for the access log's count of a tunnel's bytes). */
  get bytes(): number {
    return this.#bytes
  }

  /** Whether every byte fed so far ends a complete frame. */
  get atBoundary(): boolean {
    return this.#headBytes === 0 && this.#payloadLeft === 0
  }

  /**
   * Reads `chunk` through. With `untilBoundary`, stops at the first frame end in it (at 0 when
   * already at one). Returns how many bytes of `chunk` were read.
   */
  feed(chunk: Buffer, untilBoundary = false): number {
    const n = this.#read(chunk, untilBoundary)
    this.#bytes += n
    return n
  }

  #read(chunk: Buffer, untilBoundary: boolean): number {
    if (untilBoundary && this.atBoundary) return 0
    let at = 0
    while (at < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - at)
        this.#payloadLeft -= take
        at += take
      } else {
        at = this.#readHead(chunk, at)
      }
      if (untilBoundary && this.atBoundary) return at
    }
    return at
  }

  /** Copies header bytes from `chunk[at]` on; once the header is whole, starts its payload. */
  #readHead(chunk: Buffer, at: number): number {
    const head = this.#head
    while (at < chunk.length) {
      head[this.#headBytes++] = chunk[at++] as number
      const need = headLength(head, this.#headBytes)
      if (this.#headBytes < need) continue
      this.#payloadLeft = payloadLength(head)
      this.#headBytes = 0
      return at
    }
    return at
  }
}

/** The length of the header begun in `head[0..have)`; 2 until the second byte is known. */
function headLength(head: Buffer, have: number): number {
  if (have < 2) return 2
  const b1 = head[1] as number
  const len7 = b1 & 0x7f
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0
  return 2 + extended + (b1 & 0x80 ? 4 : 0)
}

function payloadLength(head: Buffer): number {
  const len7 = (head[1] as number) & 0x7f
  if (len7 === 126) return head.readUInt16BE(2)
  // 64-bit lengths past 2^53 are not sent by anyone; Number keeps the count exact below that.
  if (len7 === 127) return Number(head.readBigUInt64BE(2))
  return len7
}

/**
 * A close frame (RFC 6455 §5.5.1): FIN, opcode 0x8, the status code and a short UTF-8 reason.
 * `masked` for frames sent to a server, which a client must mask with a fresh random key (§5.3).
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8')
  // Control frames carry at most 125 bytes of payload (§5.5).
  if (text.length > 123) throw new RangeError(`close reason longer than 123 bytes: ${reason}`)
  const payload = Buffer.alloc(2 + text.length)
  payload.writeUInt16BE(code, 0)
  text.copy(payload, 2)
  const head = Buffer.from([0x88, (masked ? 0x80 : 0) | payload.length])
  if (!masked) return Buffer.concat([head, payload])
  const key = randomBytes(4)
  for (let i = 0; i < payload.length; i++)
    payload[i] = (payload[i] as number) ^ (key[i % 4] as number)
  return Buffer.concat([head, key, payload])
}
