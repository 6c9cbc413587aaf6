/**
 * The pure core of configuration: TOML text, environment and flags in, a frozen
 * {@link ResolvedConfig} out. Precedence: defaults < file < `GATEHOUSE_*` environment < flags. No I/O:
 * load-config.ts reads the file.
 */
import { dirname } from 'node:path'
import { parse, TomlError } from 'smol-toml'
import { ConfigError } from './config-error.js'
import { ExpandError, expandVars } from './expand-vars.js'
import { locateKeys } from './locate-keys.js'
import { envNames, SETTINGS, type DefaultsInput, type Setting } from './settings.js'
import { parseSites } from './site-schema.js'
import type { GatehouseConfig, ResolvedConfig } from './types.js'
import { isTable, show } from './value-types.js'
import { Where, type ResolveState } from './where.js'

export interface ConfigFile {
  /** As the user named it, for messages (`gatehouse.toml`). */
  name: string
  /** Absolute path; relative paths inside resolve against its folder. */
  path: string
  text: string
}

export interface ResolveOptions {
  file?: ConfigFile
  /** `GATEHOUSE_*` settings and the variables `$VAR` expands. */
  env?: Readonly<Record<string, string | undefined>>
  /** Flag values by setting key (`https.port` → `"8443"`): text, or booleans for switches. */
  flags?: ReadonlyMap<string, string | boolean>
  /** Relative paths from the environment and flags resolve against this. Default `process.cwd()`. */
  cwd: string
  /** The user's home directory, for the default `home` (`~/.gatehouse`). */
  userHome: string
  /** CPUs, for `workers = "auto"`. */
  cpus: number
  /**
   * With no file, the listeners default to 127.0.0.1:8443 and :8080 (the embedded default of
   * `gatehouse serve`). Default true; `gatehouse reverse-proxy` turns it off.
   */
  embedded?: boolean
}

/** Resolves and validates the whole configuration; throws {@link ConfigError}. */
export function resolveConfig(options: ResolveOptions): ResolvedConfig {
  const state: ResolveState = { cwd: options.cwd, cpus: options.cpus, sources: new Map() }
  let tree: Record<string, unknown> = {}
  if (options.file) {
    tree = parseToml(options.file)
    state.file = {
      name: options.file.name,
      lines: locateKeys(options.file.text),
      dir: dirname(options.file.path),
    }
  }
  const root = new Where(state, [], { kind: 'file' })
  checkKeys(tree, [], root)
  const env = options.env ?? {}
  const flags = options.flags ?? new Map<string, string | boolean>()
  const defaults: DefaultsInput = {
    home: '',
    embedded: options.embedded !== false && options.file === undefined,
    userHome: options.userHome,
  }
  const home = settingValue(homeSetting(), homeTree(tree, env, root), env, flags, state, defaults)
  defaults.home = home.value as string
  // `$GATEHOUSE_HOME` in values means the resolved home, wherever it was set.
  const expanded = expandTree(tree, (n) => (n === 'GATEHOUSE_HOME' ? defaults.home : env[n]), root)
  const config = emptyConfig(options.file?.path)
  const values = new Map<string, Resolved>([['home', home]])
  for (const setting of SETTINGS) {
    const resolved =
      values.get(setting.key) ?? settingValue(setting, expanded, env, flags, state, defaults)
    values.set(setting.key, resolved)
    if (setting.target !== undefined && resolved.value !== undefined)
      setPath(config, setting.target, resolved.value)
  }
  config.sites = parseSites(expanded.site, root.at('site'))
  finish(config, values)
  return { config: deepFreeze(config), sources: state.sources }
}

function homeSetting(): Setting {
  const setting = SETTINGS.find((s) => s.key === 'home')
  if (!setting) throw new Error('the settings table has no `home`')
  return setting
}

/** The file's `home`, expanded with the environment alone (it cannot refer to itself). */
function homeTree(
  tree: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  root: Where,
): Record<string, unknown> {
  return tree.home === undefined ? {} : expandTree({ home: tree.home }, (n) => env[n], root)
}

/** A setting's value and where it came from (for errors about combinations). */
interface Resolved {
  value: unknown
  where: Where
}

function parseToml(file: ConfigFile): Record<string, unknown> {
  try {
    return parse(file.text)
  } catch (err) {
    if (!(err instanceof TomlError)) throw err
    const first = err.message.split('\n')[0] ?? ''
    throw new ConfigError(
      `${file.name}:${err.line}:${err.column}: not valid TOML: ${first.replace(/^Invalid TOML document: /, '')}`,
      { file: file.name, line: err.line },
      { cause: err },
    )
  }
}

/** Known sections (`tls`, `tls.on_demand`) and setting keys, by the table that holds them. */
function knownKeys(prefix: string): string[] {
  const keys = new Set<string>(prefix === '' ? ['site'] : [])
  for (const { key } of SETTINGS) {
    if (prefix !== '' && !key.startsWith(`${prefix}.`)) continue
    const next = key.slice(prefix === '' ? 0 : prefix.length + 1).split('.')[0]
    if (next) keys.add(next)
  }
  return [...keys]
}

function checkKeys(t: Record<string, unknown>, prefix: string[], where: Where): void {
  const known = knownKeys(prefix.join('.'))
  for (const [key, value] of Object.entries(t)) {
    const full = [...prefix, key].join('.')
    if (!known.includes(key)) where.unknownKey(key, known)
    if (full === 'site' || SETTINGS.some((s) => s.key === full)) continue
    if (!isTable(value))
      return where
        .at(key)
        .fail(`${show(value)} is not a table: write [${full}] and its keys below it`)
    checkKeys(value, [...prefix, key], where.at(key))
  }
}

/** Expands `$VAR` in every string of the tree; an error names the variable, key and line. */
function expandTree(
  tree: Record<string, unknown>,
  lookup: (name: string) => string | undefined,
  where: Where,
): Record<string, unknown> {
  const walk = (value: unknown, w: Where): unknown => {
    if (typeof value === 'string') {
      try {
        return expandVars(value, lookup)
      } catch (err) {
        if (err instanceof ExpandError) return w.fail(err.message)
        throw err
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, w.at(i)))
    if (isTable(value))
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, w.at(k))]))
    return value
  }
  return walk(tree, where) as Record<string, unknown>
}

/** One setting: flag, else environment, else file, else default; its source recorded. */
function settingValue(
  setting: Setting,
  tree: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  flags: ReadonlyMap<string, string | boolean>,
  state: ResolveState,
  defaults: DefaultsInput,
): Resolved {
  const path = setting.key.split('.')
  const flag = flags.get(setting.key)
  const envName = envNames(setting).find((n) => env[n] !== undefined && env[n] !== '')
  const fileValue = getPath(tree, path)
  const [raw, where] =
    flag !== undefined && setting.flag
      ? [flag, new Where(state, path, { kind: 'flag', name: setting.flag })]
      : envName !== undefined
        ? [env[envName], new Where(state, path, { kind: 'env', name: envName })]
        : fileValue !== undefined
          ? [fileValue, new Where(state, path, { kind: 'file' })]
          : [undefined, new Where(state, path, { kind: 'default' })]
  const source = where.origin.kind
  state.sources.set(setting.key, source)
  const value = source === 'default' ? setting.default?.(defaults) : setting.type.parse(raw, where)
  return { value, where }
}

/** The settings that depend on each other. */
function finish(config: GatehouseConfig, values: ReadonlyMap<string, Resolved>): void {
  const get = (key: string): Resolved => values.get(key) as Resolved
  const tls = config.tls
  const staging = get('tls.staging')
  if (staging.value === true) {
    // Staging is Let's Encrypt's; with another CA the switch would be silently meaningless.
    if (tls.acmeDirectory === 'letsencrypt') tls.acmeDirectory = 'letsencrypt-staging'
    else if (tls.acmeDirectory !== 'letsencrypt-staging')
      staging.where.fail(
        `staging picks Let's Encrypt's staging CA, but tls.acme_directory is ${tls.acmeDirectory}: remove one`,
      )
  }
  if (get('tls.cert_lookup').value !== false) tls.certDir = get('tls.cert_dir').value as string
  if ((tls.eab?.kid === undefined) !== (tls.eab?.hmacKey === undefined))
    get(tls.eab?.kid === undefined ? 'tls.eab_hmac_key' : 'tls.eab_kid').where.fail(
      'External Account Binding needs both tls.eab_kid and tls.eab_hmac_key',
    )
  if (tls.onDemand) tls.onDemand.allow ??= []
  const { http, https } = config
  const sameHost = http.host === https.host || [http.host, https.host].includes('0.0.0.0')
  if (http.port > 0 && http.port === https.port && sameHost)
    get('https.port').where.fail(
      `http.port and https.port are both ${http.port}; give them different ports`,
    )
}

function emptyConfig(file: string | undefined): GatehouseConfig {
  const config = {
    home: '',
    http: {},
    https: {},
    tls: {},
    server: { limits: {} },
    log: {},
    sites: [],
  }
  return (file === undefined ? config : { file, ...config }) as unknown as GatehouseConfig
}

/** Reads a dotted path of a plain object tree. */
export function getPath(tree: unknown, path: readonly string[]): unknown {
  let node = tree
  for (const key of path) node = isTable(node) ? node[key] : undefined
  return node
}

function setPath(target: object, dotted: string, value: unknown): void {
  const keys = dotted.split('.')
  let node = target as Record<string, unknown>
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {}
    node = node[key] as Record<string, unknown>
  }
  node[keys[keys.length - 1] ?? ''] = value
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
