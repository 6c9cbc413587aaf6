/**
 * smol-toml returns values without positions, so errors could not name a line. This pure scanner
 * reads the same source again (already known to be valid TOML) and records the line where each key
 * path first appears: table headers (`[tls]`), arrays of tables (`[[site]]`, `[[site.route]]`, with
 * their indices), dotted keys (`tls.email = …`), inline tables and array elements.
 */
import { formatPath, type KeyPath } from './key-path.js'

/** Every key path of a TOML document (spelled by {@link formatPath}) → its 1-based line. */
export function locateKeys(source: string): Map<string, number> {
  return new KeyScanner(source).scan()
}

/** The line of `path`, or of its nearest ancestor that has one (a table header at worst). */
export function lineOf(lines: ReadonlyMap<string, number>, path: KeyPath): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = lines.get(formatPath(path.slice(0, n)))
    if (line !== undefined) return line
  }
  return undefined
}

class KeyScanner {
  readonly #src: string
  readonly #lines = new Map<string, number>()
  /** Arrays of tables seen so far (`site`, `site[0].route`) → how many elements. */
  readonly #arrays = new Map<string, number>()
  #p = 0
  #line = 1

  constructor(source: string) {
    this.#src = source
  }

  scan(): Map<string, number> {
    let table: (string | number)[] = []
    while (this.#p < this.#src.length) {
      const start = this.#p
      this.#skipSpace(true)
      const c = this.#src[this.#p]
      if (c === undefined) break
      if (c === '[') table = this.#header()
      else this.#keyValue(table)
      if (this.#p === start) this.#advance() // never loop on input the scanner does not understand
    }
    return this.#lines
  }

  #header(): (string | number)[] {
    const array = this.#src.startsWith('[[', this.#p)
    this.#p += array ? 2 : 1
    const keys = this.#key()
    this.#p = Math.max(this.#p, this.#src.indexOf(array ? ']]' : ']', this.#p) + (array ? 2 : 1))
    const path: (string | number)[] = []
    keys.forEach((key, i) => {
      path.push(key)
      const name = formatPath(path)
      const count = this.#arrays.get(name)
      if (array && i === keys.length - 1) {
        this.#arrays.set(name, (count ?? 0) + 1)
        this.#record(path)
        path.push(count ?? 0)
      } else if (count !== undefined) path.push(count - 1)
      this.#record(path)
    })
    return path
  }

  #keyValue(table: KeyPath): void {
    const path = [...table]
    for (const key of this.#key()) {
      path.push(key)
      this.#record(path)
    }
    this.#skipSpace(false)
    if (this.#src[this.#p] === '=') this.#p++
    this.#skipSpace(false)
    this.#value(path)
  }

  #value(path: KeyPath): void {
    const c = this.#src[this.#p]
    if (c === '"' || c === "'") this.#string()
    else if (c === '[') this.#array(path)
    else if (c === '{') this.#inlineTable(path)
    else
      while (this.#p < this.#src.length && !',]}#\n'.includes(this.#src[this.#p] ?? '')) this.#p++
  }

  #array(path: KeyPath): void {
    this.#p++
    for (let i = 0; ; i++) {
      this.#skipSpace(true)
      if (this.#src[this.#p] === ']' || this.#p >= this.#src.length) break
      this.#record([...path, i])
      this.#value([...path, i])
      this.#skipSpace(true)
      if (this.#src[this.#p] === ',') this.#p++
    }
    this.#p++
  }

  #inlineTable(path: KeyPath): void {
    this.#p++
    for (;;) {
      this.#skipSpace(true)
      const c = this.#src[this.#p]
      if (c === '}' || c === undefined) break
      if (c === ',') {
        this.#p++
        continue
      }
      const before = this.#p
      this.#keyValue(path)
      if (this.#p === before) this.#advance()
    }
    this.#p++
  }

  /** A dotted key: bare, "basic" or 'literal' parts separated by dots. */
  #key(): string[] {
    const keys: string[] = []
    for (;;) {
      this.#skipSpace(false)
      const c = this.#src[this.#p]
      if (c === '"' || c === "'") {
        const start = this.#p
        this.#string()
        keys.push(unquote(this.#src.slice(start, this.#p)))
      } else {
        const m = /[A-Za-z0-9_-]+/y
        m.lastIndex = this.#p
        const bare = m.exec(this.#src)?.[0] ?? ''
        this.#p += bare.length
        keys.push(bare)
      }
      this.#skipSpace(false)
      if (this.#src[this.#p] !== '.') return keys
      this.#p++
    }
  }

  /** Skips a basic, literal or multi-line string, counting the lines inside. */
  #string(): void {
    const q = this.#src[this.#p] ?? '"'
    const multi = this.#src.startsWith(q.repeat(3), this.#p)
    this.#p += multi ? 3 : 1
    while (this.#p < this.#src.length) {
      const c = this.#src[this.#p]
      if (c === '\\' && q === '"') {
        this.#advance()
        this.#advance()
        continue
      }
      if (c === q && (!multi || this.#src.startsWith(q.repeat(3), this.#p))) {
        // TOML allows one or two quotes right before the closing three: `""""` ends with a quote.
        let n = multi ? 3 : 1
        while (multi && n < 5 && this.#src[this.#p + n] === q) n++
        this.#p += n
        return
      }
      if (c === '\n' && !multi) return
      this.#advance()
    }
  }

  #skipSpace(newlines: boolean): void {
    while (this.#p < this.#src.length) {
      const c = this.#src[this.#p]
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.#advance()
      else if (c === '#')
        while (this.#p < this.#src.length && this.#src[this.#p] !== '\n') this.#p++
      else return
    }
  }

  #advance(): void {
    if (this.#src[this.#p] === '\n') this.#line++
    this.#p++
  }

  #record(path: KeyPath): void {
    const name = formatPath(path)
    if (!this.#lines.has(name)) this.#lines.set(name, this.#line)
  }
}

function unquote(quoted: string): string {
  if (quoted.startsWith("'")) return quoted.slice(1, -1)
  try {
    return JSON.parse(quoted) as string
  } catch {
    return quoted.slice(1, -1)
  }
}
