/**
 * `$VAR` and `${VAR}` in configuration strings, as a shell would read them, plus `${VAR:-default}` for
 * a fallback and `$$` for a literal dollar. An unset variable is an error, not an empty string: a
 * silently empty `cert_dir` or upstream is worse than a refusal to start.
 */

/** A `$` reference that cannot be expanded; the loader adds the key and line. */
export class ExpandError extends Error {
  /** The variable's name, when the problem is an unset variable. */
  readonly variable: string | undefined
  constructor(message: string, variable?: string) {
    super(message)
    this.variable = variable
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/
const BRACED = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/

/** Expands the references in `text` from `lookup`; throws {@link ExpandError}. */
export function expandVars(text: string, lookup: (name: string) => string | undefined): string {
  if (!text.includes('$')) return text
  let out = ''
  let i = 0
  while (i < text.length) {
    const dollar = text.indexOf('$', i)
    if (dollar === -1) break
    out += text.slice(i, dollar)
    const rest = text.slice(dollar + 1)
    if (rest.startsWith('$')) {
      out += '$'
      i = dollar + 2
      continue
    }
    const braced = BRACED.exec(rest)
    const bare = braced ? undefined : NAME.exec(rest)
    const name = braced?.[1] ?? bare?.[0]
    if (name === undefined) {
      throw new ExpandError(
        `a lone \`$\` at character ${dollar + 1}; write $NAME or \${NAME} for a variable, $$ for a dollar sign`,
      )
    }
    const value = lookup(name) ?? braced?.[2]
    if (value === undefined) {
      throw new ExpandError(
        `variable \`$${name}\` is not set; set it, give a fallback with \${${name}:-value}, or write $$ for a dollar sign`,
        name,
      )
    }
    out += value
    i = dollar + 1 + (braced?.[0] ?? name).length
  }
  return out + text.slice(i)
}
