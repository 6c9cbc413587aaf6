import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linksWithRel, parseLinks, parseRetryAfter } from './headers.js'

const NOW = Date.parse('2026-01-01T00:00:00Z')

test('Retry-After: seconds, HTTP-date, past dates, junk', () => {
  const cases: [string | string[] | undefined, number | undefined][] = [
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7_000],
    [['3', '9'], 3_000],
    ['Thu, 01 Jan 2026 00:01:30 GMT', 90_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ]
  for (const [value, expected] of cases) {
    assert.equal(parseRetryAfter(value, NOW), expected, JSON.stringify(value))
  }
})

test('Link: several links, quoted and bare rels, relative targets, repeated headers', () => {
  const links = parseLinks(
    [
      '<https://ca/cert/1/alt/1>;rel="alternate", </cert/1/alt/2>; rel=alternate',
      '<https://ca/dir>;rel="index", <https://ca/issuer;x,y>; title="a,b"; rel="up other"',
    ],
    'https://ca/cert/1',
  )
  assert.deepEqual(links, [
    { url: 'https://ca/cert/1/alt/1', rel: ['alternate'] },
    { url: 'https://ca/cert/1/alt/2', rel: ['alternate'] },
    { url: 'https://ca/dir', rel: ['index'] },
    { url: 'https://ca/issuer;x,y', rel: ['up', 'other'] },
  ])
  assert.deepEqual(linksWithRel(links, 'alternate'), [
    'https://ca/cert/1/alt/1',
    'https://ca/cert/1/alt/2',
  ])
  assert.deepEqual(linksWithRel(links, 'up'), ['https://ca/issuer;x,y'])
  assert.deepEqual(parseLinks(undefined, 'https://ca/'), [])
  assert.deepEqual(parseLinks('garbage', 'https://ca/'), [])
})
