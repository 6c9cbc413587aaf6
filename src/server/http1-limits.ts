/** The bounds an HTTP/1.1 connection (http1-connection.ts) holds its client to. */
export interface Http1Limits {
  /** The parser's hard bound on a request head, bytes (431 beyond it). */
  maxHeadBytes: number
  /** From the first byte of a head to its end, ms (408 after it). */
  headerTimeoutMs: number
  /**
   * The longest pause between two reads of a request body, ms (408 after it, or the connection
   * destroyed once the answer has begun), as nginx's `client_body_timeout`. Not counted while the
   * body's reader is full: that wait is the handler's, not the client's.
   */
  bodyTimeoutMs: number
  /** How long a connection may wait for its next request, ms (closed after it). */
  idleTimeoutMs: number
  /** How long an answered request's unread body may keep coming before the connection closes, ms. */
  lingerMs: number
}
