import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHttp1Request, checkHttp2Request, isRefusal } from './request-checks.js'

function outcome(r: ReturnType<typeof checkHttp1Request>): string {
  if (!isRefusal(r)) return `ok ${r.host} ${r.path}`
  return `${r.status}${r.close ? ' close' : ''}${r.host !== undefined ? ` for ${r.host}` : ''}`
}

describe('checkHttp1Request', () => {
  const H = ['Host', 'app.test']
  const cases: [
    name: string,
    url: string,
    raw: string[],
    sni: string | undefined,
    expected: string,
  ][] = [
    ['origin-form', '/a?b', H, 'app.test', 'ok app.test /a?b'],
    ['host with port', '/', ['Host', 'APP.test:8443'], 'app.test', 'ok app.test /'],
    ['no SNI is not checked', '/', H, undefined, 'ok app.test /'],
    ['SNI with a trailing dot', '/', H, 'app.test.', 'ok app.test /'],
    ['SNI differs', '/', H, 'other.test', '421 for app.test'],
    ['missing Host', '/', [], 'app.test', '400 close'],
    ['two Host', '/', [...H, 'host', 'app.test'], 'app.test', '400 close'],
    ['bad Host', '/', ['Host', 'a b'], 'app.test', '400 close'],
    ['absolute-form, same host', 'http://app.test/x?y', H, 'app.test', 'ok app.test /x?y'],
    ['absolute-form, no path', 'https://app.test', H, 'app.test', 'ok app.test /'],
    ['absolute-form, query only', 'https://app.test?q', H, 'app.test', 'ok app.test /?q'],
    ['absolute-form, other host', 'http://evil.test/x', H, 'app.test', '400 close'],
    ['absolute-form, userinfo', 'http://app.test@evil.test/', H, 'app.test', '400 close'],
    ['asterisk-form', '*', H, 'app.test', '400 close'],
    ['authority-form', 'app.test:443', H, 'app.test', '400 close'],
    ['TE chunked', '/', [...H, 'Transfer-Encoding', 'chunked'], 'app.test', 'ok app.test /'],
    [
      'TE Chunked (case-insensitive token)',
      '/',
      [...H, 'Transfer-Encoding', 'Chunked'],
      'app.test',
      'ok app.test /',
    ],
    [
      'TE gzip, chunked',
      '/',
      [...H, 'Transfer-Encoding', 'gzip, chunked'],
      'app.test',
      '501 close',
    ],
    [
      'TE twice',
      '/',
      [...H, 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'],
      'app.test',
      '501 close',
    ],
    ['TE identity', '/', [...H, 'Transfer-Encoding', 'identity'], 'app.test', '501 close'],
    ['dot-segments removed', '/a/../b/./c?x=..', H, 'app.test', 'ok app.test /b/c?x=..'],
    ['absolute-form normalised', 'http://app.test//a/%2e%2e/b', H, 'app.test', 'ok app.test /b'],
    ['above the root (keeps the connection)', '/a/../..', H, 'app.test', '400'],
    ['ambiguous segment', '/a/..;/b', H, 'app.test', '400'],
  ]
  for (const [name, url, raw, sni, expected] of cases) {
    test(`${name} → ${expected}`, () =>
      assert.equal(outcome(checkHttp1Request('1.1', url, raw, sni)), expected))
  }
})

describe('checkHttp1Request: versions', () => {
  const H = ['Host', 'app.test']
  const TE = [...H, 'Transfer-Encoding', 'chunked']
  const cases: [version: string, raw: string[], expected: string][] = [
    ['1.1', H, 'ok app.test /'],
    ['1.0', H, 'ok app.test /'],
    ['1.0', TE, '400 close'],
    ['2.0', H, '505 close'],
    ['0.9', H, '505 close'],
  ]
  for (const [version, raw, expected] of cases) {
    test(`HTTP/${version} ${raw.length > 2 ? 'chunked ' : ''}→ ${expected}`, () =>
      assert.equal(outcome(checkHttp1Request(version, '/', raw, undefined)), expected))
  }
})

describe('checkHttp2Request', () => {
  const cases: [name: string, args: Parameters<typeof checkHttp2Request>, expected: string][] = [
    ['authority', ['app.test', undefined, '/x', 'app.test'], 'ok app.test /x'],
    ['Host only', [undefined, 'app.test', '/x', 'app.test'], 'ok app.test /x'],
    ['both, same', ['app.test:443', 'app.test', '/', 'app.test'], 'ok app.test /'],
    ['both, different', ['app.test', 'evil.test', '/', 'app.test'], '400 close'],
    ['none', [undefined, undefined, '/', 'app.test'], '400 close'],
    ['SNI differs', ['evil.test', undefined, '/', 'app.test'], '421 for evil.test'],
    ['path not origin-form', ['app.test', undefined, 'x', 'app.test'], '400 close'],
    ['path normalised', ['app.test', undefined, '/p/%2E%2E/q?a', 'app.test'], 'ok app.test /q?a'],
    ['path above the root', ['app.test', undefined, '/%2e%2e/etc', 'app.test'], '400'],
  ]
  for (const [name, args, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(outcome(checkHttp2Request(...args)), expected))
  }
})
