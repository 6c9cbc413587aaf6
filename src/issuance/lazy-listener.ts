import type { Server } from 'node:net'
import { closeServer, listen } from './listener.js'

/**
 * A listener that is open only while challenges are pending: `acquire()` opens it on first use,
 * `release()` closes it when the last user is gone. Standalone solvers share this lifecycle so a
 * port is bound only for the seconds a validation takes (as `certbot --standalone` does).
 */
export class LazyListener {
  readonly #create: () => Server
  readonly #host: string
  readonly #port: number
  readonly #what: string
  #server: Server | undefined
  #starting: Promise<void> | undefined
  #users = 0

  constructor(create: () => Server, host: string, port: number, what: string) {
    this.#create = create
    this.#host = host
    this.#port = port
    this.#what = what
  }

  /** Counts a user and waits until the listener is bound. A failed bind is retried by the next user. */
  async acquire(): Promise<void> {
    this.#users++
    this.#starting ??= this.#start()
    try {
      await this.#starting
    } catch (err) {
      this.#starting = undefined
      throw err
    }
  }

  /** Drops a user (every `acquire`, even a failed one, is paired with one `release`). */
  async release(): Promise<void> {
    this.#users = Math.max(0, this.#users - 1)
    if (this.#users > 0 || !this.#server) return
    const server = this.#server
    this.#server = undefined
    this.#starting = undefined
    await closeServer(server)
  }

  async #start(): Promise<void> {
    const server = this.#create()
    await listen(server, this.#host, this.#port, this.#what)
    this.#server = server
  }
}
