// Rewrites the settings table in README.md from src/config/settings.ts (run after `npm run build`).
// src/config/settings-table.test.ts fails when the README is out of date.
import { readFileSync, writeFileSync } from 'node:fs'
import { settingsMarkdown, TABLE_END, TABLE_START } from '../build/src/config/settings-table.js'

const file = new URL('../README.md', import.meta.url)
const readme = readFileSync(file, 'utf8')
const start = readme.indexOf(TABLE_START)
const end = readme.indexOf(TABLE_END)
if (start === -1 || end < start) {
  console.error(`README.md has no ${TABLE_START} ... ${TABLE_END} markers`)
  process.exit(1)
}
const next = `${readme.slice(0, start + TABLE_START.length)}\n${settingsMarkdown()}\n${readme.slice(end)}`
writeFileSync(file, next)
console.log(
  next === readme
    ? 'README.md: settings table already current'
    : 'README.md: settings table updated',
)
