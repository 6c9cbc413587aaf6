import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parse } from 'smol-toml'
import { formatPath, tableLabel } from './key-path.js'
import { lineOf, locateKeys } from './locate-keys.js'

const SOURCE = `# comment with [brackets] and key = "value"
home = "/srv/gatehouse"   # trailing comment

[https]
port = 443

[tls]
email = "ops@example.com"
on_demand.allow = ["*.example.com"]
hsts = { max_age = "365d",
  include_subdomains = true }
description = """
[not_a_table]
fake = 1
"""
"quoted.key" = 'literal'

[[tls.files]]
cert = "a.crt"
key = "a.key"

[[tls.files]]
cert = "b.crt"

[[site]]
hosts = [
  "a.example.com",
  # comment inside an array
  "b.example.com",
]

  [[site.route]]
  path = "/"
  header_up = { set = { "X-A" = "1" }, remove = ["Server"] }

  [[site.route]]
  path = "/ws"

[[site]]
hosts = ["c.example.com"]
route = [{ path = "/", respond = "hi" }, { path = "/x",
  respond = "x" }]

[server.limits]
x.y.z = 1
`

test('locateKeys finds the line of tables, arrays of tables, dotted keys, inline tables and array elements', () => {
  parse(SOURCE) // the locator only ever sees valid TOML
  const lines = locateKeys(SOURCE)
  const cases: [string, number][] = [
    ['home', 2],
    ['https', 4],
    ['https.port', 5],
    ['tls', 7],
    ['tls.email', 8],
    ['tls.on_demand', 9],
    ['tls.on_demand.allow', 9],
    ['tls.on_demand.allow[0]', 9],
    ['tls.hsts', 10],
    ['tls.hsts.max_age', 10],
    ['tls.hsts.include_subdomains', 11],
    ['tls.description', 12],
    ['tls."quoted.key"', 16],
    ['tls.files[0]', 18],
    ['tls.files[0].cert', 19],
    ['tls.files[0].key', 20],
    ['tls.files[1]', 22],
    ['tls.files[1].cert', 23],
    ['site[0]', 25],
    ['site[0].hosts', 26],
    ['site[0].hosts[0]', 27],
    ['site[0].hosts[1]', 29],
    ['site[0].route[0]', 32],
    ['site[0].route[0].path', 33],
    ['site[0].route[0].header_up.set.X-A', 34],
    ['site[0].route[0].header_up.remove[0]', 34],
    ['site[0].route[1].path', 37],
    ['site[1]', 39],
    ['site[1].hosts[0]', 40],
    ['site[1].route[0].respond', 41],
    ['site[1].route[1].path', 41],
    ['site[1].route[1].respond', 42],
    ['server.limits.x.y.z', 45],
  ]
  for (const [path, line] of cases) assert.equal(lines.get(path), line, path)
  assert.equal(lines.has('not_a_table'), false)
  assert.equal(lines.has('tls.description.fake'), false)
})

test('lineOf falls back to the nearest ancestor with a line', () => {
  const lines = locateKeys(SOURCE)
  assert.equal(lineOf(lines, ['site', 0, 'route', 1, 'max_body']), 36)
  assert.equal(lineOf(lines, ['site', 1, 'route', 1]), 41)
  assert.equal(lineOf(lines, ['log', 'level']), undefined)
})

test('locateKeys copes with CRLF, escapes and quotes at the end of multi-line strings', () => {
  const source =
    'a = "x\\"y"\r\nb = """one ""\r\n""""\r\nc = \'\'\'lit\r\n\'\'\'\r\n[t]\r\nd = 1\r\n'
  parse(source)
  const lines = locateKeys(source)
  assert.deepEqual(
    ['a', 'b', 'c', 't', 't.d'].map((k) => lines.get(k)),
    [1, 2, 4, 6, 7],
  )
})

test('formatPath and tableLabel spell paths the way errors show them', () => {
  assert.equal(formatPath(['site', 0, 'route', 1, 'max_body']), 'site[0].route[1].max_body')
  assert.equal(formatPath(['header_up', 'set', 'x.y']), 'header_up.set."x.y"')
  assert.equal(tableLabel([]), 'the top level')
  assert.equal(tableLabel(['tls']), '[tls]')
  assert.equal(tableLabel(['tls', 'on_demand']), '[tls.on_demand]')
  assert.equal(tableLabel(['site', 0]), '[[site]]')
  assert.equal(tableLabel(['site', 0, 'route', 2]), '[[site.route]]')
  assert.equal(
    tableLabel(['site', 0, 'route', 2, 'health_check']),
    '`health_check` in [[site.route]]',
  )
})

test('every key path smol-toml parses has a line', () => {
  const paths = (value: unknown, path: (string | number)[]): (string | number)[][] => {
    if (Array.isArray(value))
      return value.flatMap((v, i) => [[...path, i], ...paths(v, [...path, i])])
    if (value !== null && typeof value === 'object' && !(value instanceof Date))
      return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...paths(v, [...path, k])])
    return []
  }
  const lines = locateKeys(SOURCE)
  const all = paths(parse(SOURCE), [])
  assert.ok(all.length > 40, String(all.length))
  for (const path of all) assert.ok(lines.has(formatPath(path)), formatPath(path))
})
