/** One issuance measured: wall time and the client's CPU time, both in milliseconds. */
export interface Sample {
  wallMs: number
  cpuMs: number
  /** Where the wall time went, per step, in ms (in-process clients only). */
  steps?: Record<string, number>
}

/**
 * A client under test. `issue(name)` obtains one certificate for `name` and reports what it cost;
 * `issueMany(names)` obtains them all at once (the concurrency row) and reports the total.
 */
export interface Contender {
  readonly id: string
  readonly label: string
  /** The exact command (or call) measured, with placeholders, for BENCHMARKS.md. */
  readonly command: string
  /** Runs once before timing: registers the account and warms caches, like a long-lived client. */
  warmUp(name: string): Promise<void>
  issue(name: string): Promise<Sample>
  issueMany?(names: readonly string[]): Promise<Sample>
  /** Optional: the exact command of the concurrency row, when it differs from `command`. */
  readonly concurrentCommand?: string
  close(): Promise<void>
}
