/**
 * The one timer of an HTTP/1.1 connection (http1-connection.ts), re-armed for whatever the
 * connection waits on as it moves on: never two at once, and arming it again for as long as before
 * is a refresh(), which allocates nothing.
 */

/** What the timer bounds; `none` while a request is served (a timer left running is unheeded). */
export type Wait = 'idle' | 'head' | 'body' | 'linger' | 'closing' | 'none'

export class ConnectionTimer {
  /** The connection's one callback for every timer: no closure per request. */
  readonly #onTimer: () => void
  #timer: NodeJS.Timeout | undefined
  /** The length #timer was made with: arming it again for as long is a refresh(). */
  #ms = 0
  #wait: Wait = 'idle'

  constructor(onTimer: () => void) {
    this.#onTimer = onTimer
  }

  /** What the timer bounds now. */
  get wait(): Wait {
    return this.#wait
  }

  arm(ms: number, wait: Wait): void {
    if (this.#timer !== undefined && this.#ms === ms) {
      this.#wait = wait
      this.#timer.refresh()
      return
    }
    this.disarm()
    this.#wait = wait
    this.#ms = ms
    this.#timer = setTimeout(this.#onTimer, ms).unref()
  }

  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#wait = 'none'
  }

  /**
   * Leaves the timer running, unheeded. Not cleared: on keep-alive the idle wait after the answer
   * refreshes this very timer, where a clear and a new one would allocate per request.
   */
  unheed(): void {
    this.#wait = 'none'
  }

  /** Starts the current wait again (refresh() reuses the timer, nothing is allocated). */
  refresh(): void {
    this.#timer?.refresh()
  }

  /** The timer went off: returns what it bounded. */
  fired(): Wait {
    this.#timer = undefined
    return this.#wait
  }
}
