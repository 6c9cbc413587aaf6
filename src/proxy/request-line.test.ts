import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRequestLine } from './request-line.js'

/** What the parser must agree with: the request line as a regular expression (RFC 9112 §3). */
const ORACLE = /^([A-Z-]+) +([\x21-\x7e]+)(?: +HTTP\/([012]\.\d))?$/

function oracle(line: string): unknown {
  const m = ORACLE.exec(line)
  return m === null ? undefined : { method: m[1], target: m[2], version: m[3] ?? '0.9' }
}

const LINES = [
  'GET / HTTP/1.1',
  'GET / HTTP/1.0',
  'POST /a?b=c HTTP/1.1',
  'M-SEARCH * HTTP/1.1',
  'GET  /  HTTP/1.1',
  'GET /',
  'GET / ',
  'GET',
  'GET ',
  ' GET / HTTP/1.1',
  'get / HTTP/1.1',
  'GET / HTTP/1.1 ',
  'GET / HTTP/3.0',
  'GET / HTTP/2.0',
  'GET / HTTP/0.9',
  'GET / HTTP/1.x',
  'GET / HTTP/1.10',
  'GET / HTTP/1',
  'GET / http/1.1',
  'GET /a b HTTP/1.1',
  'GET /\u007f HTTP/1.1',
  'GET /\u00e9 HTTP/1.1',
  'GET\t/ HTTP/1.1',
  'GET /\tx HTTP/1.1',
  'CONNECT example.com:443 HTTP/1.1',
  'GET http://a.test/x HTTP/1.1',
  '',
]

test('every line reads as the regular expression reads it', () => {
  for (const line of LINES)
    assert.deepEqual(parseRequestLine(line), oracle(line), JSON.stringify(line))
})

test('seeded random lines read as the regular expression reads them', () => {
  const parts = ['GET', 'POST', 'M-S', 'g', ' ', '  ', '/', '/x', '*', 'HTTP/', '1.1', '2.0', '3.0']
  const units = parts.concat(['\t', '\u007f', '\u0000', 'é', '.', '1', 'HTTP/1.1', ' HTTP/1.0'])
  let seed = 42
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let round = 0; round < 20_000; round++) {
    let line = ''
    const n = 1 + Math.floor(next() * 6)
    for (let k = 0; k < n; k++) line += units[Math.floor(next() * units.length)] as string
    assert.deepEqual(parseRequestLine(line), oracle(line), JSON.stringify(line))
  }
})
