/**
 * The keep-alive pool of one upstream: undici `Client`s, one connection each, the idle ones kept on
 * a stack so that a request takes one in constant time.
 *
 * undici's own `Pool` looks for a free client by walking its whole list from the start on every
 * request: with 50 requests in flight, most of 50 busy clients were passed over each time (this
 * pool measured 2-3% less CPU per proxied request; BENCHMARKS.md). The protocol work, the
 * connection's life and the keep-alive stay undici's; only the choice of connection is ours. As
 * with `Pool`, clients are kept once made (each reconnects when it next serves a request after its
 * connection closed) and there is no limit on their number; unlike it, the last one freed goes
 * first (its connection is the likeliest still open, and the others may idle out).
 */
import { Client, Dispatcher, errors } from 'undici'

export interface UpstreamPoolOptions extends Client.Options {
  /** SNI name given with every request (see {@link UpstreamPool}); undefined: undici's own. */
  servername?: string | undefined
}

export class UpstreamPool extends Dispatcher {
  readonly #origin: string
  readonly #options: Client.Options
  readonly #servername: string | undefined
  readonly #clients: Client[] = []
  /** Clients with no request in flight; the last freed on top. */
  readonly #idle: Client[] = []
  #closed = false

  /**
   * `servername`, when given, goes with every request: undici's Client reconnects whenever a
   * request's servername (taken from its Host header) differs from its connection's, which with
   * several client host names on one route would close a kept-alive connection at every change.
   */
  constructor(origin: string, options: UpstreamPoolOptions) {
    super()
    const { servername, ...clientOptions } = options
    this.#origin = origin
    this.#options = clientOptions
    this.#servername = servername
  }

  override dispatch(
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    if (this.#closed) {
      handler.onError?.(new errors.ClientClosedError())
      return false
    }
    const client = this.#idle.pop() ?? this.#add()
    const withName =
      this.#servername === undefined
        ? opts
        : ({ ...opts, servername: this.#servername } as Dispatcher.DispatchOptions)
    // False: the client is busy until it emits 'drain' (one request at a time, no pipelining).
    if (client.dispatch(withName, handler)) this.#idle.push(client)
    return true
  }

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#end((client) => client.close())
    if (callback === undefined) return done
    void done.then(callback, callback)
  }

  override destroy(): Promise<void>
  override destroy(err: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(err: Error | null, callback: () => void): void
  override destroy(
    errOrCallback?: Error | null | (() => void),
    callback?: () => void,
  ): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null)
    const then = typeof errOrCallback === 'function' ? errOrCallback : callback
    const done = this.#end((client) => client.destroy(err))
    if (then === undefined) return done
    void done.then(then, then)
  }

  async #end(each: (client: Client) => Promise<void>): Promise<void> {
    this.#closed = true
    this.#idle.length = 0
    await Promise.all(this.#clients.map(each))
  }

  #add(): Client {
    const client = new Client(this.#origin, this.#options)
    client.on('drain', () => {
      if (!this.#closed) this.#idle.push(client)
    })
    this.#clients.push(client)
    return client
  }
}
