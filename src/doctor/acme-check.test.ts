import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkClock, MAX_CLOCK_SKEW_MS } from './acme-check.js'
import { bindFix } from './port-check.js'

const T = Date.UTC(2026, 5, 1, 12, 0, 0)
const date = (ms: number): string => new Date(ms).toUTCString()

test('checkClock: skew measured from the middle of the request; > 5 min warns (table)', () => {
  const cases: [string, string | undefined, number, number, 'ok' | 'warn' | undefined, RegExp?][] =
    [
      ['in step', date(T), T - 200, T + 200, 'ok', /within 1 s/],
      ['4 min behind the server', date(T + 4 * 60_000), T, T, 'ok', /within 240 s/],
      ['just over 5 min behind', date(T + MAX_CLOCK_SKEW_MS + 1000), T, T, 'warn', /301 s behind/],
      ['10 min ahead', date(T - 10 * 60_000), T, T, 'warn', /600 s ahead of/],
      ['no Date header', undefined, T, T, undefined],
      ['a Date that does not parse', 'yesterday-ish', T, T, undefined],
    ]
  for (const [what, header, sent, received, status, message] of cases) {
    const result = checkClock(header, sent, received)
    assert.equal(result?.status, status, what)
    if (message) assert.match(result?.message ?? '', message, what)
  }
})

test('bindFix names the remedy for each bind error', () => {
  assert.match(
    bindFix('EACCES', 443),
    /setcap cap_net_bind_service=\+ep .*ip_unprivileged_port_start=80/,
  )
  assert.match(bindFix('EACCES', 8), /ip_unprivileged_port_start=8\b/)
  assert.match(bindFix('EADDRINUSE', 443), /ss -ltnp 'sport = :443'/)
  assert.match(bindFix('EADDRNOTAVAIL', 443), /address this machine has/)
})
