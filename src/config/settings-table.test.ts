import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolveConfig } from './resolve-config.js'
import { envNames, SETTINGS } from './settings.js'
import { settingsMarkdown, TABLE_END, TABLE_START } from './settings-table.js'
import { getPath } from './resolve-config.js'

test('README.md has the current settings table (run `node scripts/config-table.js` to update it)', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  assert.ok(start !== -1 && end > start, 'README.md has the table markers')
  assert.equal(readme.slice(start + TABLE_START.length, end).trim(), settingsMarkdown())
})

test('every setting has one key, flag and environment name of its own, and a target the config has', () => {
  const keys = SETTINGS.map((s) => s.key)
  const flags = SETTINGS.flatMap((s) => (s.flag ? [s.flag] : []))
  const envs = SETTINGS.flatMap(envNames)
  for (const list of [keys, flags, envs]) assert.equal(new Set(list).size, list.length)
  const { config } = resolveConfig({
    cwd: '/',
    userHome: '/home/u',
    cpus: 1,
    flags: new Map<string, string | boolean>([
      ['tls.email', 'a@example.com'],
      ['tls.acme_ca_cert', '/ca.pem'],
      ['tls.profile', 'p'],
      ['tls.on_demand.allow', '*.example.com'],
      ['tls.on_demand.ask', 'http://127.0.0.1:1/'],
      ['tls.eab_kid', 'k'],
      ['tls.eab_hmac_key', 'h'],
    ]),
  })
  for (const s of SETTINGS) {
    const value = s.get ? s.get(config) : s.target && getPath(config, s.target.split('.'))
    assert.notEqual(value, undefined, `${s.key} lands in the config`)
    assert.ok(s.help.length > 0 && s.defaultText.length > 0)
  }
})
