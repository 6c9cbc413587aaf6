/**
 * A value's place while the configuration is resolved: its key path, where it came from (file line,
 * environment variable, flag) and the shared state (sources, file positions). Every error about a
 * value is raised through here, so every message names the key and its origin the same way.
 */
import { closest } from '../_internal/suggest.js'
import { ConfigError } from './config-error.js'
import { formatPath, tableLabel, type KeyPath } from './key-path.js'
import { lineOf } from './locate-keys.js'
import type { ValueSource } from './types.js'

export interface ResolveState {
  /** The file being read: its name as the user gave it, key lines, and its folder for relative paths. */
  file?: { name: string; lines: ReadonlyMap<string, number>; dir: string }
  /** Relative paths from the environment and flags resolve against this. */
  cwd: string
  /** For `workers = "auto"`. */
  cpus: number
  sources: Map<string, ValueSource>
}

export type Origin =
  | { kind: 'file' }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string }
  | { kind: 'default' }

export class Where {
  readonly state: ResolveState
  readonly path: KeyPath
  readonly origin: Origin

  constructor(state: ResolveState, path: KeyPath, origin: Origin) {
    this.state = state
    this.path = path
    this.origin = origin
  }

  /** A key inside this value (a table's key or an array's index), from the same origin. */
  at(segment: string | number): Where {
    return new Where(this.state, [...this.path, segment], this.origin)
  }

  /** Environment and flag values are text: `"8443"` is a port there, a string in TOML. */
  get text(): boolean {
    return this.origin.kind === 'env' || this.origin.kind === 'flag'
  }

  /** Relative paths in the file resolve against the file's folder, others against the working directory. */
  get baseDir(): string {
    return this.origin.kind === 'file' ? (this.state.file?.dir ?? this.state.cwd) : this.state.cwd
  }

  /** Records where the value at this path came from. */
  record(source: ValueSource): void {
    this.state.sources.set(formatPath(this.path), source)
  }

  /** `` `https.port` at gatehouse.toml:3: <problem> `` (or `from GATEHOUSE_HTTPS_PORT`, `from --https-port`). */
  fail(problem: string): never {
    const key = formatPath(this.path)
    const { where, detail } = this.#describe()
    throw new ConfigError(`\`${key}\`${where}: ${problem}`, { key, ...detail })
  }

  /** `` unknown key `hots` in [[site]] at gatehouse.toml:12, did you mean `hosts`? `` */
  unknownKey(key: string, known: readonly string[]): never {
    const inner = this.at(key)
    const { where, detail } = inner.#describe()
    const guess = closest(key, known)
    const hint = guess
      ? `, did you mean \`${guess}\`?`
      : `; known keys: ${known.map((k) => `\`${k}\``).join(', ')}`
    throw new ConfigError(`unknown key \`${key}\` in ${tableLabel(this.path)}${where}${hint}`, {
      key: formatPath(inner.path),
      ...detail,
    })
  }

  #describe(): { where: string; detail: { file?: string; line?: number; from?: string } } {
    const file = this.state.file
    switch (this.origin.kind) {
      case 'file': {
        if (!file) return { where: '', detail: {} }
        const line = lineOf(file.lines, this.path)
        const at = line === undefined ? file.name : `${file.name}:${line}`
        return {
          where: ` at ${at}`,
          detail: line === undefined ? { file: file.name } : { file: file.name, line },
        }
      }
      case 'env':
        return { where: ` from ${this.origin.name}`, detail: { from: this.origin.name } }
      case 'flag':
        return { where: ` from --${this.origin.name}`, detail: { from: `--${this.origin.name}` } }
      case 'default':
        return { where: ' (default)', detail: {} }
    }
  }
}
