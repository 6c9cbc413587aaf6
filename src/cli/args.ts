import { GatehouseError } from '../errors.js'
import { suggest } from '../_internal/suggest.js'

export { suggest }

/** How one flag is read. Every flag also comes from the environment as `GATEHOUSE_<NAME>`. */
export interface FlagSpec {
  type: 'string' | 'boolean' | 'number'
  /** Allowed more than once; the values are collected in order. */
  multiple?: boolean
  /** One line for --help. */
  help: string
  /** Placeholder in --help, e.g. `DIR`. */
  value?: string
  /** Allowed values (checked, and listed in --help and in the error). */
  choices?: readonly string[]
}

export type FlagSpecs = Record<string, FlagSpec>
export type FlagValue = string | boolean | number | string[]

export interface ParsedArgs {
  flags: Map<string, FlagValue>
  /** Where each flag's value came from, for `--debug` and error messages. */
  sources: Map<string, 'flag' | 'env'>
  positionals: string[]
}

/** A usage error: the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends GatehouseError {
  constructor(message: string) {
    super('ERR_CONFIG', message)
  }
}

/** `--name value`, `--name=value`, `--flag`, `--no-flag`; `--` ends the flags. Flags win over the environment. */
export function parseArgs(
  argv: readonly string[],
  specs: FlagSpecs,
  env: NodeJS.ProcessEnv,
): ParsedArgs {
  const flags = new Map<string, FlagValue>()
  const sources = new Map<string, 'flag' | 'env'>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1 && arg !== '-h')
        throw new UsageError(`unknown option ${arg}; options are spelled --name`)
      if (arg === '-h') flags.set('help', true)
      else positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    let name = eq > 0 ? arg.slice(2, eq) : arg.slice(2)
    let inline = eq > 0 ? arg.slice(eq + 1) : undefined
    let spec = specs[name]
    if (
      !spec &&
      name.startsWith('no-') &&
      specs[name.slice(3)]?.type === 'boolean' &&
      inline === undefined
    ) {
      name = name.slice(3)
      spec = specs[name]
      inline = 'false'
    }
    if (!spec) throw new UsageError(`unknown option --${name}${suggest(name, Object.keys(specs))}`)
    let raw: string
    if (spec.type === 'boolean') raw = inline ?? 'true'
    else if (inline !== undefined) raw = inline
    else {
      const next = argv[i + 1]
      if (next === undefined || (next.startsWith('--') && next.length > 2))
        throw new UsageError(
          `option --${name} needs a value${spec.value ? ` (${spec.value})` : ''}`,
        )
      raw = next
      i++
    }
    store(flags, name, spec, convert(spec, raw, `--${name}`))
    sources.set(name, 'flag')
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (flags.has(name)) continue
    const envName = envNameOf(name)
    const raw = env[envName]
    if (raw === undefined || raw === '') continue
    const values = spec.multiple
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [raw]
    for (const value of values) store(flags, name, spec, convert(spec, value, envName))
    sources.set(name, 'env')
  }
  return { flags, sources, positionals }
}

/** `acme-ca-cert` → `GATEHOUSE_ACME_CA_CERT`. */
export function envNameOf(flag: string): string {
  return `GATEHOUSE_${flag.toUpperCase().replace(/-/g, '_')}`
}

function store(
  flags: Map<string, FlagValue>,
  name: string,
  spec: FlagSpec,
  value: string | boolean | number,
): void {
  if (spec.multiple) {
    const list = (flags.get(name) as string[] | undefined) ?? []
    list.push(String(value))
    flags.set(name, list)
  } else flags.set(name, value)
}

function convert(spec: FlagSpec, raw: string, where: string): string | boolean | number {
  if (spec.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true
    if (/^(0|false|no|off)$/i.test(raw)) return false
    throw new UsageError(`${where} is a switch: give true or false, not ${JSON.stringify(raw)}`)
  }
  if (spec.type === 'number') {
    const n = Number(raw)
    if (!Number.isInteger(n))
      throw new UsageError(`${where} needs a whole number, not ${JSON.stringify(raw)}`)
    return n
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(
      `${where} must be one of ${spec.choices.join(', ')}, not ${JSON.stringify(raw)}${suggest(raw, spec.choices, '')}`,
    )
  }
  return raw
}

/** Renders a --help text block for the flags. */
export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `  --${name}${spec.value ? ` ${spec.value}` : ''}`
    const choices = spec.choices ? ` (${spec.choices.join('|')})` : ''
    return [left, `${spec.help}${choices}  [${envNameOf(name)}]`] as const
  })
  const width = Math.max(...rows.map(([l]) => l.length)) + 2
  return rows.map(([l, r]) => l.padEnd(width) + r).join('\n')
}

/** The named flags of `specs`, in the order named, so commands share one spec per flag. */
export function pickFlags(specs: FlagSpecs, names: readonly string[]): FlagSpecs {
  return Object.fromEntries(
    names.flatMap((name) => {
      const spec = specs[name]
      return spec ? [[name, spec]] : []
    }),
  )
}
