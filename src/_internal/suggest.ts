// Shared by the CLI's flag parser and the library's option checks: one spelling-suggestion rule.

/** `; did you mean --http-port?` when a known name is close (edit distance ≤ 2, or a prefix of 3+). */
export function suggest(input: string, known: readonly string[], prefix = '--'): string {
  const best = closest(input, known)
  return best ? `; did you mean ${prefix}${best}?` : ''
}

/** The known name closest to `input` (edit distance ≤ 2, or `input` is a prefix of 3+), if any. */
export function closest(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const k of known) {
    const d = k.startsWith(input) && input.length >= 3 ? 1 : editDistance(input, k)
    if (d < bestDistance) {
      best = k
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      prev = tmp
    }
  }
  return row[b.length] ?? 0
}

/**
 * Refuses the first key of `options` that is not `known`, naming it with a suggestion and the list:
 * a typo (`domain`) must not silently change what a server does. `what` names the options in the
 * message (`createServer()`, `onDemand`).
 */
export function rejectUnknownKeys(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `unknown ${what} option ${JSON.stringify(key)}${suggest(key, known, '')}; options are ${known.join(', ')}`,
      )
    }
  }
}
