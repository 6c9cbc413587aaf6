/**
 * `gatehouse config`: the resolved configuration as TOML, each value annotated with where it came
 * from. The text is itself a valid `gatehouse.toml` that resolves to the same configuration.
 */
import { formatPath } from './key-path.js'
import { getPath } from './resolve-config.js'
import { SETTINGS, type Setting } from './settings.js'
import { siteToToml } from './site-schema.js'
import { tomlKey, tomlValue } from './toml-text.js'
import type { ResolvedConfig, ValueSource } from './types.js'
import type { TomlOut } from './value-types.js'

/** The resolved value of a setting in TOML form, or undefined when unset. */
export function settingToToml(setting: Setting, resolved: ResolvedConfig): TomlOut | undefined {
  const value = setting.get
    ? setting.get(resolved.config)
    : setting.target && getPath(resolved.config, setting.target.split('.'))
  return value === undefined ? undefined : setting.type.format(value)
}

/** The configuration as annotated TOML text. */
export function describeConfig(resolved: ResolvedConfig): string {
  const { config, sources } = resolved
  const source = (key: string): ValueSource => sources.get(key) ?? 'default'
  const lines = [
    `# gatehouse configuration: defaults < ${config.file ?? '(no file)'} < GATEHOUSE_* environment < flags`,
  ]
  const tables = new Map<string, Setting[]>()
  for (const setting of SETTINGS) {
    const table = setting.key.slice(0, Math.max(0, setting.key.lastIndexOf('.')))
    tables.set(table, [...(tables.get(table) ?? []), setting])
  }
  for (const [table, settings] of tables) {
    if (table !== '') lines.push('', `[${table}]`)
    for (const setting of settings) {
      const name = setting.key.slice(setting.key.lastIndexOf('.') + 1)
      const value = settingToToml(setting, resolved)
      lines.push(
        value === undefined
          ? `# ${name} is not set`
          : annotate(`${tomlKey(name)} = ${tomlValue(value)}`, source(setting.key)),
      )
    }
  }
  config.sites.forEach((site, i) => lines.push('', ...siteLines(siteToToml(site), i, source)))
  return `${lines.join('\n')}\n`
}

function siteLines(
  site: Record<string, TomlOut>,
  i: number,
  source: (key: string) => ValueSource,
): string[] {
  const out = ['[[site]]']
  const { route, ...rest } = site
  for (const [key, value] of Object.entries(rest))
    out.push(
      annotate(`${tomlKey(key)} = ${tomlValue(value)}`, source(formatPath(['site', i, key]))),
    )
  for (const [j, r] of (Array.isArray(route) ? route : []).entries()) {
    out.push('', '  [[site.route]]')
    for (const [key, value] of Object.entries(r as Record<string, TomlOut>)) {
      const path = formatPath(['site', i, 'route', j, key])
      out.push(annotate(`  ${tomlKey(key)} = ${tomlValue(value)}`, source(path)))
    }
  }
  return out
}

function annotate(line: string, source: ValueSource): string {
  return `${line.padEnd(48)} # ${source}`
}

/** The configuration and the source of each key, as JSON (sizes without limit as `"unlimited"`). */
export function configToJson(resolved: ResolvedConfig): string {
  return JSON.stringify(
    { config: resolved.config, sources: Object.fromEntries(resolved.sources) },
    (_key, value: unknown) => (value === Infinity ? 'unlimited' : value),
    2,
  )
}
