import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GatehouseConfig } from '../config/types.js'
import { issuerFor } from './issuer-choice.js'
import { pidFilePath, removePidFile, writePidFile } from './pid-file.js'
import { appliedConfig, planReload } from './reload-plan.js'
import { renderStatusPage } from './status-page.js'

test('issuerFor(): local names to the local CA, .test to an own ACME CA, wildcards to nobody without on-demand', () => {
  const le = { acmeDirectory: 'letsencrypt', onDemand: false }
  const own = { acmeDirectory: 'https://127.0.0.1:14000/dir', onDemand: false }
  const cases: [string, typeof le, string][] = [
    ['localhost', le, 'local-ca'],
    ['app.localhost', own, 'local-ca'],
    ['127.0.0.1', own, 'local-ca'],
    ['app.test', le, 'local-ca'],
    ['app.example.test', own, 'acme'],
    ['example.com', le, 'acme'],
    ['*.example.com', le, 'none'],
    ['*.example.com', { ...le, onDemand: true }, 'none'],
    ['*.test', le, 'local-ca'],
  ]
  for (const [host, options, want] of cases)
    assert.equal(issuerFor(host, options).issuer, want, `${host} with ${options.acmeDirectory}`)
  const wildcard = issuerFor('*.example.com', le)
  assert.match(wildcard.issuer === 'none' ? wildcard.why : '', /DNS-01/)
})

const base = {
  home: '/h',
  http: { host: '0.0.0.0', port: 80 },
  https: { host: '0.0.0.0', port: 443 },
  tls: { acmeDirectory: 'letsencrypt', challenges: [], keyType: 'ec256', files: [], hsts: false },
  server: {
    workers: 1,
    trustedProxies: [],
    healthPath: '/h',
    drainTimeoutMs: 1,
    limits: {
      maxHeaderBytes: 1,
      maxHeaderCount: 1,
      maxUrlBytes: 1,
      handshakeTimeoutMs: 1,
      headerTimeoutMs: 1,
      bodyTimeoutMs: 1,
      idleTimeoutMs: 1,
    },
  },
  log: { level: 'info', accessLog: 'stdout' },
  sites: [],
} as unknown as GatehouseConfig

test('planReload(): what changed, and which settings wait for a restart', () => {
  assert.deepEqual(planReload(base, base), {
    sites: false,
    accessLog: false,
    https: false,
    http: false,
    needsRestart: [],
  })
  const next = {
    ...base,
    home: '/other',
    https: { host: '0.0.0.0', port: 8443 },
    log: { level: 'debug', accessLog: '/var/log/a' },
    sites: [{ hosts: ['a.test'], routes: [], accessLog: true }],
  } as GatehouseConfig
  assert.deepEqual(planReload(base, next), {
    sites: true,
    accessLog: true,
    https: true,
    http: false,
    needsRestart: ['home', 'log.level'],
  })
  const applied = appliedConfig(base, next)
  assert.equal(applied.home, '/h')
  assert.equal(applied.log.level, 'info')
  assert.equal(applied.log.accessLog, '/var/log/a')
  assert.equal(applied.https.port, 8443)
})

test('renderStatusPage(): every certificate with its dates, text escaped', () => {
  const html = renderStatusPage(
    [
      {
        names: ['localhost'],
        source: 'local-ca',
        issuer: 'Gatehouse <CA>',
        notAfter: new Date('2027-01-01T00:00:00Z'),
        nextRenewal: new Date('2026-12-01T00:00:00Z'),
        reason: 'lifetime',
      },
      { names: ['a.example.com'], source: 'acme', lastError: 'rate <limited>' },
    ],
    new Date('2026-11-23T00:00:00Z'),
  )
  assert.match(
    html,
    /<td>localhost<\/td><td>Gatehouse &lt;CA&gt;<\/td><td>local-ca<\/td><td>2027-01-01T00:00:00Z<\/td><td>2026-12-01T00:00:00Z \(lifetime\)<\/td>/,
  )
  assert.match(html, /<td>rate &lt;limited&gt;<\/td>/)
  assert.doesNotMatch(html, /<limited>|<CA>/)
})

test('pid file: written 0644, removed only if it is ours', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-pid-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const file = await writePidFile(home)
  assert.equal(statSync(file).mode & 0o777, 0o644)
  assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`)
  await removePidFile(home, process.pid + 1)
  assert.equal(statSync(pidFilePath(home)).isFile(), true, 'another pid: left alone')
  await removePidFile(home)
  assert.throws(() => statSync(pidFilePath(home)), /ENOENT/)
})
