/** What an HTTP/1.1 connection (http1-connection.ts) hands its requests to. */
import type { SocketReply } from '../proxy/socket-reply.js'
import type { Http1Request } from '../proxy/types.js'

export interface Http1Handlers {
  request(req: Http1Request, reply: SocketReply): void
  /**
   * A request with `Connection: upgrade` and an Upgrade field. Return true to take the socket over
   * (`rest`: bytes read past the head); false serves it as a plain request on a connection that
   * closes after it (RFC 9110 §7.8 lets a server ignore an upgrade).
   */
  upgrade(req: Http1Request, rest: Buffer): boolean
  /**
   * A request refused before it reached {@link request}: its head unreadable, too large or too slow
   * (400, 431, 408), or its chunked body malformed in the head's packet. `bodyBytes` is the length of
   * the answer's body; `durationMs`, the time from the head's first byte to the refusal. For the
   * access log; the connection closes after the answer.
   */
  refused?(status: number, bodyBytes: number, durationMs: number): void
}
