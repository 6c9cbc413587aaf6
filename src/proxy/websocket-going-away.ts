/**
 * Closing an open WebSocket tunnel as a server going away (drain, reload of a changed route): both
 * directions' frame boundaries are followed from the first byte, so that each side can get a 1001
 * close frame between two frames, never inside one (RFC 6455 §5.4, §7.4.1).
 */
import type { Duplex } from 'node:stream'
import { endGracefully } from './tunnel-sockets.js'
import { closeFrame, FrameBoundaries, GOING_AWAY } from './websocket-frames.js'

/**
 * How long a going-away close may take (frames in progress finished, close frames sent, peers
 * closing their sides) before both connections are dropped.
 */
export const GOING_AWAY_MS = 3_000

/** The frame ends of both directions of one tunnel. */
export class TunnelFrames {
  readonly #toClient = new FrameBoundaries()
  readonly #toUpstream = new FrameBoundaries()
  readonly #watchDown = (chunk: Buffer): void => void this.#toClient.feed(chunk)
  readonly #watchUp = (chunk: Buffer): void => void this.#toUpstream.feed(chunk)

  /**
   * Bytes copied to the client since the tunnel opened, the first ones that came with the 101
   * included; a going-away close frame of ours is not counted.
   */
  get bytesDown(): number {
    return this.#toClient.bytes
  }

  /** Bytes the client sent with its request, before the tunnel opened (HTTP/1.1 only). */
  sentUp(head: Buffer): void {
    this.#toUpstream.feed(head)
  }

  /** From now on follows what each side sends; `rest` came from the upstream with its 101. */
  watch(client: Duplex, upstream: Duplex, rest: Buffer): void {
    this.#toClient.feed(rest)
    upstream.on('data', this.#watchDown)
    client.on('data', this.#watchUp)
  }

  /**
   * RFC 6455 §7.1.2, §7.4.1: each side gets a close frame with 1001 (going away) after the frame it
   * is receiving, unmasked to the client and masked to the upstream (we are its client, §5.3); what
   * either sends after that (its own close frame) is read and dropped while it closes.
   */
  goAway(client: Duplex, upstream: Duplex): void {
    const reason = 'going away'
    const down = closeFrame(GOING_AWAY, reason, false)
    endAtFrameEnd(upstream, client, this.#toClient, this.#watchDown, down)
    endAtFrameEnd(
      client,
      upstream,
      this.#toUpstream,
      this.#watchUp,
      closeFrame(GOING_AWAY, reason, true),
    )
  }
}

/**
 * Stops copying `src` to `dst` at the end of the WebSocket frame in progress (`frames` has followed
 * every byte copied so far; `watcher` is the listener that fed it), then ends `dst` with `last` (a
 * close frame) as its final bytes. What `src` sends after that frame end is dropped. A `src` that
 * ends mid-frame leaves nothing a close frame could follow: `dst` is then ended without it.
 */
export function endAtFrameEnd(
  src: Duplex,
  dst: Duplex,
  frames: FrameBoundaries,
  watcher: (chunk: Buffer) => void,
  last: Buffer,
): void {
  src.unpipe(dst)
  src.off('data', watcher)
  let done = false
  const finish = (frame?: Buffer): void => {
    done = true
    endGracefully(dst, frame)
  }
  if (frames.atBoundary) finish(last)
  src.on('data', (chunk: Buffer) => {
    if (done) return
    const n = frames.feed(chunk, true)
    if (n > 0 && !dst.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      src.pause()
      dst.once('drain', () => src.resume())
    }
    if (frames.atBoundary) finish(last)
  })
  src.once('end', () => {
    if (!done) finish()
  })
  // unpipe() paused `src` (no destination left); it must keep flowing to reach the frame end.
  src.resume()
}
