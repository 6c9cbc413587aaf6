import { envNames, SETTINGS } from './settings.js'

/** Marks the generated table in README.md; scripts/config-table.js rewrites what is between them. */
export const TABLE_START =
  '<!-- settings-table: generated from src/config/settings.ts by scripts/config-table.js -->'
export const TABLE_END = '<!-- /settings-table -->'

/** The README's table of settings: TOML key, environment, flag, default, meaning. */
export function settingsMarkdown(): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|')
  const rows = SETTINGS.map((s) =>
    [
      `\`${s.key}\``,
      envNames(s)
        .map((n) => `\`${n}\``)
        .join(', ') || 'file only',
      s.flag ? `\`--${s.flag}\`` : '',
      s.defaultText,
      s.help,
    ]
      .map(cell)
      .join(' | '),
  )
  return [
    '| TOML key | Environment | Flag | Default | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n')
}
