import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Http01Responder, stripPort } from './http-01-responder.js'
import { reverseName } from './tls-alpn-01-responder.js'

const token = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA'
const challenge = {
  identifier: { type: 'dns' as const, value: 'example.com' },
  wildcard: false,
  token,
  keyAuthorization: `${token}.thumb`,
  dnsValue: '',
}

test('Http01Responder answers only GET/HEAD of the exact token path for a pending Host', () => {
  const r = new Http01Responder()
  r.add(challenge)
  const path = `/.well-known/acme-challenge/${token}`
  assert.equal(r.lookup('GET', path, 'example.com'), `${token}.thumb`)
  assert.equal(r.lookup('HEAD', path, 'EXAMPLE.com:80'), `${token}.thumb`)
  assert.equal(r.lookup('POST', path, 'example.com'), undefined, 'POST')
  assert.equal(r.lookup('GET', path, 'other.example'), undefined, 'another Host')
  assert.equal(r.lookup('GET', path, undefined), undefined, 'no Host')
  assert.equal(r.lookup('GET', `${path}/x`, 'example.com'), undefined, 'longer path')
  assert.equal(
    r.lookup('GET', `/.well-known/acme-challenge/short`, 'example.com'),
    undefined,
    'token syntax',
  )
  assert.equal(
    r.lookup('GET', `/.well-known/acme-challenge/${token}?x=1`, 'example.com'),
    undefined,
    'query',
  )
  r.remove(challenge)
  assert.equal(r.lookup('GET', path, 'example.com'), undefined, 'removed')
  assert.equal(r.size, 0)
})

test('stripPort() and reverseName() (RFC 8738 §6 SNI for IP identifiers)', () => {
  assert.equal(stripPort('example.com:8080'), 'example.com')
  assert.equal(stripPort('[::1]:80'), '::1')
  assert.equal(stripPort('::1'), '::1')
  assert.equal(reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa')
  assert.equal(
    reverseName('2001:db8::1'),
    '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
  )
})
