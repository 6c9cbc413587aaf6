import { test } from 'node:test'
import assert from 'node:assert/strict'
import { redirectTarget } from './simple-routes.js'

const cases: [to: string, target: string, expected: string][] = [
  ['https://new.example.com{path}', '/a/b?c=1', 'https://new.example.com/a/b'],
  ['https://new.example.com{path}?{query}', '/a?c=1&d', 'https://new.example.com/a?c=1&d'],
  ['https://new.example.com/', '/x', 'https://new.example.com/'],
  ['/login?next={path}', '/admin', '/login?next=/admin'],
]
for (const [to, target, expected] of cases) {
  test(`${to} with ${target}`, () => assert.equal(redirectTarget(to, target), expected))
}
