import type { Clock } from '../clock.js'
import { AbortedError } from '../errors.js'

/**
 * Most timers one `advance`/`runAll` call fires. A loop that re-arms a zero-length sleep forever
 * would otherwise hang the test; past this cap the call throws a RangeError naming the cap.
 */
export const MAX_TIMERS_PER_ADVANCE = 100_000

/** 2025-01-01T00:00:00Z: a fixed, realistic start so tests never depend on the wall clock. */
const DEFAULT_START_MS = Date.UTC(2025, 0, 1)

interface Timer {
  readonly deadline: number
  /** Insertion order: timers with the same deadline fire first-in, first-out. */
  readonly seq: number
  readonly resolve: () => void
  readonly detach: () => void
}

/**
 * A {@link Clock} whose time only moves when the test says so. `sleep` resolves when `advance`,
 * `tick`, `advanceTo` or `runAll` moves time to or past its deadline. Timers fire one at a time in
 * deadline order, with the clock set to each deadline and pending callbacks (microtasks and
 * immediates) run in between, so code that sleeps again after waking is seen by the same `advance`:
 * six months of renewals run in one call.
 *
 * `sleep(ms <= 0)` resolves on the next turn of the event loop without `advance`, as the `Clock`
 * contract says. Not for production: nothing here is thread- or process-shared.
 */
export class FakeClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Set<Timer>()

  /** @param start the initial time (Date or epoch ms); default 2025-01-01T00:00:00Z. */
  constructor(start: Date | number = DEFAULT_START_MS) {
    const ms = typeof start === 'number' ? start : start.getTime()
    if (!Number.isFinite(ms)) {
      throw new RangeError(`FakeClock start ${String(start)} is not a valid time; pass a Date`)
    }
    this.#now = ms
  }

  now(): number {
    return this.#now
  }

  /** Sleeps still waiting for time to move. */
  get pending(): number {
    return this.#timers.size
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      return Promise.reject(new TypeError(`sleep(${String(ms)}): ms must be a number`))
    }
    if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason))
    if (ms <= 0) return nextTurn(signal)
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#timers.delete(timer)
        reject(new AbortedError(signal?.reason))
      }
      const timer: Timer = {
        deadline: this.#now + ms,
        seq: this.#seq++,
        resolve,
        detach: () => signal?.removeEventListener('abort', onAbort),
      }
      this.#timers.add(timer)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Moves time forward by `ms`, firing every sleep whose deadline is reached, in deadline order.
   * Time moves synchronously up to the first due timer; await the result to let woken code run.
   */
  async advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`advance(${ms}): ms must be a finite number >= 0; time cannot go back`)
    }
    await this.#runUntil(this.#now + ms)
  }

  /** Alias of {@link advance}, for readers used to other fake-timer libraries. */
  tick(ms: number): Promise<void> {
    return this.advance(ms)
  }

  /** Moves time forward to `date`; a date in the past is a RangeError. */
  async advanceTo(date: Date | number): Promise<void> {
    const target = typeof date === 'number' ? date : date.getTime()
    if (!(Number.isFinite(target) && target >= this.#now)) {
      throw new RangeError(
        `advanceTo(${String(date)}) is before now (${new Date(this.#now).toISOString()}); time cannot go back`,
      )
    }
    await this.#runUntil(target)
  }

  /**
   * Fires sleeps in deadline order, including ones armed by woken code, until none is left; the clock
   * ends at the last deadline. Returns how many fired.
   */
  async runAll(): Promise<number> {
    return this.#runUntil(Infinity)
  }

  async #runUntil(target: number): Promise<number> {
    let fired = 0
    for (;;) {
      const next = this.#earliest()
      if (next === undefined || next.deadline > target) break
      if (fired >= MAX_TIMERS_PER_ADVANCE) {
        throw new RangeError(
          `more than MAX_TIMERS_PER_ADVANCE (${MAX_TIMERS_PER_ADVANCE}) sleeps fired in one call; is a loop re-arming forever?`,
        )
      }
      this.#timers.delete(next)
      this.#now = Math.max(this.#now, next.deadline)
      next.detach()
      next.resolve()
      fired++
      await settle()
    }
    if (target !== Infinity) this.#now = Math.max(this.#now, target)
    await settle()
    return fired
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined
    for (const t of this.#timers) {
      if (
        best === undefined ||
        t.deadline < best.deadline ||
        (t.deadline === best.deadline && t.seq < best.seq)
      ) {
        best = t
      }
    }
    return best
  }
}

/** Lets every queued microtask and immediate run, so woken code can arm its next sleep. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function nextTurn(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearImmediate(handle)
      reject(new AbortedError(signal?.reason))
    }
    const handle = setImmediate(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
