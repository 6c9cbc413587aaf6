import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NamePatterns } from './on-demand-patterns.js'

test('NamePatterns: exact names, *. one label, **. any depth, never the apex by a pattern', () => {
  const p = new NamePatterns(['Shop.Example.COM', '*.one.test', '**.deep.test', '192.0.2.7'])
  const cases: [string, boolean][] = [
    ['shop.example.com', true],
    ['www.shop.example.com', false],
    ['example.com', false],
    ['a.one.test', true],
    ['a.b.one.test', false],
    ['one.test', false],
    ['a.deep.test', true],
    ['a.b.c.deep.test', true],
    ['deep.test', false],
    ['adeep.test', false],
    ['a.deep.test.evil.com', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
  ]
  for (const [name, expected] of cases) assert.equal(p.matches(name), expected, name)
})

test('NamePatterns: a pattern over a whole TLD, a wildcard IP or garbage is refused, naming it', () => {
  for (const bad of [
    '*.com',
    '**.com',
    '*',
    '**',
    '*.192.0.2.1',
    'a.*.example.com',
    'exa mple.com',
    '',
  ]) {
    assert.throws(
      () => new NamePatterns([bad]),
      (err: Error) =>
        err instanceof TypeError &&
        err.message.includes(`onDemand.allow entry ${JSON.stringify(bad)}`),
      bad,
    )
  }
})
