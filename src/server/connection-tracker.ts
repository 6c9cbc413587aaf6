import type { Server as HttpServer } from 'node:http'
import type { Http2SecureServer, ServerHttp2Session } from 'node:http2'
import type { Server, Socket } from 'node:net'

/** How often a drain closes keep-alive connections that became idle (a response just finished). */
const DRAIN_POLL_MS = 50

type Listening = HttpServer | Http2SecureServer

/** What closeIdle needs of an HTTP/1.1 connection: close it if it waits for a request. */
interface IdleClosable {
  closeIdle(): boolean
}

/**
 * The connections and HTTP/2 sessions of a set of servers, for a graceful stop (SIGTERM): stop
 * accepting, tell HTTP/2 clients with GOAWAY (RFC 9113 §6.8) that no new stream will be served, close
 * HTTP/1.1 keep-alive connections as soon as they are idle (RFC 9112 §9.6 lets a server close an idle
 * connection at any time), let in-flight requests finish within a bound, then close what is left.
 *
 * It only observes 'connection' and 'session' events: a 'request' listener would switch an HTTP/2
 * server to Node's compatibility layer.
 */
export class ConnectionTracker {
  readonly #sockets = new Set<Socket>()
  readonly #sessions = new Set<ServerHttp2Session>()
  /** HTTP/1.1 connections served by our own server (http1-connection.ts), for closeIdle. */
  readonly #http1 = new Set<IdleClosable>()
  readonly #servers: Listening[] = []

  /** One 'close' listener for every socket (it fires once, with the socket as `this`): no closure each. */
  readonly #forget: (this: Socket) => void

  constructor() {
    const sockets = this.#sockets
    this.#forget = function (this: Socket): void {
      sockets.delete(this)
    }
  }

  track(server: Listening): void {
    this.#servers.push(server)
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.on('close', this.#forget)
    })
    // Only HTTP/2 servers emit 'session'; on an HTTP/1.1 server the listener never runs.
    ;(server as Http2SecureServer).on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session)
      session.once('close', () => this.#sessions.delete(session))
    })
  }

  /** An HTTP/1.1 connection of our own server, closed by {@link closeIdle} while it waits. */
  trackHttp1(connection: IdleClosable, socket: Socket): void {
    this.#http1.add(connection)
    socket.once('close', () => this.#http1.delete(connection))
  }

  /** Open connections (TCP, whatever they carry: HTTP/1.1, HTTP/2, upgraded tunnels). */
  get connections(): number {
    return this.#sockets.size
  }

  /**
   * Stops accepting on every tracked server, sends GOAWAY, closes idle keep-alives, and waits until
   * `busy()` returns false (no request in flight) or `timeoutMs` passes; then destroys every
   * remaining connection. Resolves with whether it finished before the deadline.
   */
  async drain(timeoutMs: number, busy: () => boolean): Promise<boolean> {
    for (const server of this.#servers) if (server.listening) (server as Server).close()
    for (const session of this.#sessions) if (!session.closed) session.close()
    const deadline = Date.now() + timeoutMs
    let finished = false
    while (Date.now() < deadline) {
      this.closeIdle()
      if (!busy()) {
        finished = true
        break
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, timeoutMs)))
    }
    this.destroyAll()
    return finished
  }

  /** Closes HTTP/1.1 connections with no request in progress. */
  closeIdle(): void {
    for (const connection of this.#http1) connection.closeIdle()
    // Node implements it on HTTP/2 servers with allowHTTP1 (their HTTP/1.1 connections); @types/node
    // 20 does not declare it there.
    for (const server of this.#servers)
      (server as Partial<Pick<HttpServer, 'closeIdleConnections'>>).closeIdleConnections?.()
  }

  destroyAll(): void {
    for (const session of this.#sessions) session.destroy()
    for (const socket of this.#sockets) socket.destroy()
  }
}
