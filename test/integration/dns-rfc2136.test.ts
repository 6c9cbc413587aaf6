import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { startBind, type Bind } from '../helpers/bind.js'
import { freePort } from '../helpers/ports.js'
import { GatehouseError } from '../../src/errors.js'
import { Rfc2136DnsProvider } from '../../src/issuance/dns/rfc2136-provider.js'
import { waitForTxt } from '../../src/issuance/dns/propagation.js'
import { challengeFqdn } from '../../src/issuance/dns/dns-provider.js'

let bind: Bind

before(async () => {
  bind = await startBind({ zones: ['example.test', 'other.test'] })
})
after(async () => {
  await bind?.stop()
})

/** The TXT values dig sees, each joined from its character-strings (dig prints `"a" "b"`). */
function dig(name: string): string[] {
  const out = execFileSync(
    'dig',
    ['@127.0.0.1', '-p', String(bind.port), 'TXT', name, '+short', '+time=2', '+tries=1'],
    { encoding: 'utf8', timeout: 10_000 },
  )
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join(''))
    .sort()
}

function digRaw(name: string): string {
  return execFileSync('dig', ['@127.0.0.1', '-p', String(bind.port), 'TXT', name, '+short'], {
    encoding: 'utf8',
    timeout: 10_000,
  })
}

function provider(): Rfc2136DnsProvider {
  return new Rfc2136DnsProvider({ server: bind.address, tsig: bind.tsig })
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GatehouseError, String(err))
    assert.equal(err.code, 'ERR_DNS_PROVIDER')
    assert.match(err.message, pattern)
    return true
  })
}

test('present: dig sees the TXT value and waitForTxt resolves', async () => {
  const fqdn = challengeFqdn('present.example.test')
  await provider().present(fqdn, 'token-one')
  assert.deepEqual(dig(fqdn), ['token-one'])
  await waitForTxt(fqdn, 'token-one', { resolver: bind.address, timeoutMs: 5000, intervalMs: 100 })
})

test('two values at one name coexist; cleanup removes only the one asked for', async () => {
  const fqdn = challengeFqdn('*.both.example.test')
  const p = provider()
  await p.present(fqdn, 'wildcard-value')
  await p.present(fqdn, 'base-value')
  assert.deepEqual(dig(fqdn), ['base-value', 'wildcard-value'])
  await p.cleanup(fqdn, 'wildcard-value')
  assert.deepEqual(dig(fqdn), ['base-value'])
  await p.cleanup(fqdn, 'wildcard-value') // idempotent
  await p.cleanup(fqdn, 'base-value')
  assert.deepEqual(dig(fqdn), [])
})

test('names are case-insensitive', async () => {
  const p = provider()
  await p.present('_ACME-Challenge.Case.EXAMPLE.test.', 'mixed')
  assert.deepEqual(dig('_acme-challenge.case.example.test.'), ['mixed'])
  await p.cleanup('_acme-challenge.CASE.example.TEST', 'mixed')
  assert.deepEqual(dig('_acme-challenge.case.example.test.'), [])
})

test('a value longer than 255 bytes is split into character-strings (the update goes over TCP)', async () => {
  const fqdn = challengeFqdn('long.example.test')
  const value = 'abcdefghij'.repeat(60) // 600 bytes: 255 + 255 + 90
  await provider().present(fqdn, value)
  const raw = digRaw(fqdn).trim()
  const strings = [...raw.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '')
  assert.deepEqual(
    strings.map((s) => s.length),
    [255, 255, 90],
  )
  assert.equal(strings.join(''), value)
  await waitForTxt(fqdn, value, { resolver: bind.address, timeoutMs: 5000, intervalMs: 100 })
  await provider().cleanup(fqdn, value)
  assert.deepEqual(dig(fqdn), [])
})

test('zone auto-detection finds each zone by SOA; an explicit zone is used as given', async () => {
  const p = provider()
  assert.equal(await p.findZone('_acme-challenge.deep.a.b.example.test.'), 'example.test.')
  assert.equal(await p.findZone('_acme-challenge.other.test.'), 'other.test.')
  await p.present('_acme-challenge.x.other.test.', 'in-other')
  assert.deepEqual(dig('_acme-challenge.x.other.test.'), ['in-other'])
  const fixed = new Rfc2136DnsProvider({
    server: bind.address,
    tsig: bind.tsig,
    zone: 'example.test',
  })
  assert.equal(await fixed.findZone('_acme-challenge.x.other.test.'), 'example.test.')
  // The wrong zone for the name: BIND answers NOTZONE.
  await rejectsWith(fixed.present('_acme-challenge.x.other.test.', 'v'), /NOTZONE/)
  await rejectsWith(
    p.findZone('_acme-challenge.nowhere.invalid.'),
    /no zone for .*nowhere\.invalid\./,
  )
})

test('a wrong TSIG secret is refused with BADSIG named', async () => {
  const wrong = new Rfc2136DnsProvider({
    server: bind.address,
    tsig: { ...bind.tsig, secret: Buffer.alloc(32, 1).toString('base64') },
  })
  await rejectsWith(
    wrong.present(challengeFqdn('badsig.example.test'), 'v'),
    new RegExp(`${bind.address} failed: the server answered NOTAUTH \\(TSIG error BADSIG\\)`),
  )
  assert.deepEqual(dig(challengeFqdn('badsig.example.test')), [])
})

test('an unknown key name is refused with BADKEY named', async () => {
  const unknown = new Rfc2136DnsProvider({
    server: bind.address,
    tsig: { ...bind.tsig, name: 'nobody.' },
  })
  await rejectsWith(unknown.present(challengeFqdn('badkey.example.test'), 'v'), /TSIG error BADKEY/)
})

test('an unsigned update to a zone that requires the key is REFUSED, naming the server', async () => {
  const unsigned = new Rfc2136DnsProvider({ server: bind.address })
  await rejectsWith(
    unsigned.present(challengeFqdn('unsigned.example.test'), 'v'),
    new RegExp(
      `at DNS server ${bind.address.replace(/\./g, '\\.')} failed: the server answered REFUSED`,
    ),
  )
})

test('a server that does not answer times out after bounded retransmits; abort stops early', async () => {
  // A free loopback port: nothing answers the datagrams (an unconnected UDP socket sees no ICMP error).
  const server = `127.0.0.1:${await freePort({ udp: true })}`
  const silent = new Rfc2136DnsProvider({
    server,
    tsig: bind.tsig,
    zone: 'example.test',
    timeoutMs: 600,
  })
  const started = Date.now()
  await rejectsWith(
    silent.present(challengeFqdn('t.example.test'), 'v'),
    /no answer from DNS server 127\.0\.0\.1:\d+ over UDP after 3 attempts in 600 ms/,
  )
  assert.ok(Date.now() - started < 5000)
  const controller = new AbortController()
  const slow = new Rfc2136DnsProvider({
    server,
    tsig: bind.tsig,
    zone: 'example.test',
    timeoutMs: 60_000,
  })
  setTimeout(() => controller.abort(), 100)
  await assert.rejects(
    slow.present(challengeFqdn('t.example.test'), 'v', { signal: controller.signal }),
    {
      code: 'ERR_ABORTED',
    },
  )
})

test('bad options are refused when constructed', () => {
  assert.throws(() => new Rfc2136DnsProvider({ server: '127.0.0.1:99999' }), /"127\.0\.0\.1:99999"/)
  assert.throws(
    () => new Rfc2136DnsProvider({ server: bind.address, zon: 'x' } as never),
    /did you mean "zone"/,
  )
  assert.throws(() => new Rfc2136DnsProvider({ server: bind.address, timeoutMs: -1 }), RangeError)
})
