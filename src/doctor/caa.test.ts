import { test } from 'node:test'
import assert from 'node:assert/strict'
import { evaluateCaa, findRelevantCaa, issuerDomain, type CaaRecord } from './caa.js'

const LE = ['letsencrypt.org']
const issue = (v: string, critical = 0): CaaRecord => ({ critical, issue: v })
const wild = (v: string): CaaRecord => ({ critical: 0, issuewild: v })

test('evaluateCaa: RFC 8659 §4 rules (table)', () => {
  const cases: [string, CaaRecord[], boolean, boolean, RegExp][] = [
    ['no records: anyone', [], false, true, /no CAA records/],
    ['issue for this CA', [issue('letsencrypt.org')], false, true, /issue "letsencrypt.org"/],
    [
      'case-insensitive, with parameters',
      [issue('LetsEncrypt.org; validationmethods=dns-01')],
      false,
      true,
      /issue/,
    ],
    ['issue for another CA only', [issue('pki.goog')], false, false, /issue "pki.goog"/],
    ['one of several', [issue('pki.goog'), issue('letsencrypt.org')], false, true, /letsencrypt/],
    ['";" allows nobody', [issue(';')], false, false, /issue ";"/],
    [
      'only iodef: anyone',
      [{ critical: 0, iodef: 'mailto:a@b.c' }],
      false,
      true,
      /no issue property/,
    ],
    [
      'critical unknown tag forbids',
      [issue('letsencrypt.org'), { critical: 128, tbs: 'x' }],
      false,
      false,
      /critical unknown tag "tbs"/,
    ],
    [
      'non-critical unknown tag is ignored',
      [issue('letsencrypt.org'), { critical: 0, tbs: 'x' }],
      false,
      true,
      /issue/,
    ],
    [
      'wildcard: issuewild wins over issue',
      [issue('letsencrypt.org'), wild(';')],
      true,
      false,
      /issuewild ";"/,
    ],
    [
      'wildcard: issue when no issuewild',
      [issue('letsencrypt.org')],
      true,
      true,
      /issue "letsencrypt.org"/,
    ],
    [
      'non-wildcard ignores issuewild',
      [wild(';'), issue('letsencrypt.org')],
      false,
      true,
      /issue "/,
    ],
    [
      'wildcard with only issuewild for this CA',
      [wild('letsencrypt.org')],
      true,
      true,
      /issuewild/,
    ],
  ]
  for (const [what, records, wildcard, allowed, reason] of cases) {
    const d = evaluateCaa(records, LE, wildcard)
    assert.equal(d.allowed, allowed, what)
    assert.match(d.reason, reason, what)
  }
})

test('issuerDomain takes the name before the parameters', () => {
  assert.equal(issuerDomain(' letsencrypt.org ; accounturi=https://x '), 'letsencrypt.org')
  assert.equal(issuerDomain(';'), '')
  assert.equal(issuerDomain(''), '')
})

test('findRelevantCaa walks up to the closest RRset (RFC 8659 §3); *.X starts at X', async () => {
  const zone: Record<string, CaaRecord[]> = {
    'example.com': [issue('letsencrypt.org')],
    'deny.example.com': [issue(';')],
  }
  const asked: string[] = []
  const lookup = (name: string): Promise<CaaRecord[]> => {
    asked.push(name)
    return Promise.resolve(zone[name] ?? [])
  }
  assert.deepEqual(await findRelevantCaa('a.b.example.com', lookup), {
    at: 'example.com',
    records: zone['example.com'],
  })
  assert.deepEqual(asked, ['a.b.example.com', 'b.example.com', 'example.com'])
  assert.equal((await findRelevantCaa('x.deny.example.com.', lookup)).at, 'deny.example.com')
  asked.length = 0
  assert.equal((await findRelevantCaa('*.deny.example.com', lookup)).at, 'deny.example.com')
  assert.equal(asked[0], 'deny.example.com')
  asked.length = 0
  assert.deepEqual(await findRelevantCaa('other.test', lookup), { records: [] })
  assert.deepEqual(asked, ['other.test', 'test'])
  await assert.rejects(
    findRelevantCaa('a.example.com', () => Promise.reject(new Error('SERVFAIL'))),
    /SERVFAIL/,
  )
})
