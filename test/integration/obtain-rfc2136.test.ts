import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { Dns01Solver } from '../../src/issuance/dns-01-solver.js'
import { Rfc2136DnsProvider } from '../../src/issuance/dns/rfc2136-provider.js'
import { parseIdentifiers } from '../../src/issuance/identifiers.js'
import { obtain } from '../../src/issuance/obtain.js'
import { startBind } from '../helpers/bind.js'
import { startPebble } from '../helpers/pebble.js'
import { opensslVerify } from '../helpers/openssl.js'
import { newAccountClient } from '../helpers/acme-account.js'
import { tempDir } from '../helpers/temp-dir.js'

// Pebble resolves through a real BIND that takes RFC 2136 updates signed with TSIG: the wildcard and
// its base name need two TXT values at the same _acme-challenge name at once.
test('dns-01 over RFC 2136 to BIND: a wildcard and its base name, via the library and the CLI', async (t) => {
  const bind = await startBind({ zones: ['example.test'] })
  t.after(() => bind.stop())
  const pebble = await startPebble({ dnsServer: bind.address })
  t.after(() => pebble.stop())
  const root = await pebble.root(0)

  const client = await newAccountClient(t, pebble.directoryUrl, pebble.listenerCaPem)
  const provider = new Rfc2136DnsProvider({ server: bind.address, tsig: bind.tsig })
  const result = await obtain(parseIdentifiers(['*.zone.example.test', 'zone.example.test']), {
    client,
    solvers: [
      new Dns01Solver({ provider, propagation: { resolver: bind.address, intervalMs: 100 } }),
    ],
  })
  opensslVerify(result.certificatePem, root, { name: 'deep.zone.example.test' })
  opensslVerify(result.certificatePem, root, { name: 'zone.example.test' })
  assert.deepEqual(parseCertificate(result.certificatePem).dnsNames.sort(), [
    '*.zone.example.test',
    'zone.example.test',
  ])

  // The same through the CLI, with the TSIG key from the environment and an export folder.
  const home = tempDir(t, 'gatehouse-rfc2136')
  const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        new URL('../../../bin/gatehouse.js', import.meta.url).pathname,
        'certs',
        'obtain',
        '*.cli.example.test',
        'cli.example.test',
        '--challenge',
        'dns-01',
        '--dns-provider',
        'rfc2136',
        '--dns-server',
        bind.address,
        '--dns-resolver',
        bind.address,
        '--export',
        join(home, 'out'),
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          GATEHOUSE_HOME: home,
          GATEHOUSE_ACME_DIRECTORY: pebble.directoryUrl,
          GATEHOUSE_ACME_CA_CERT: pebble.listenerCaFile,
          GATEHOUSE_DNS_TSIG_NAME: bind.tsig.name,
          GATEHOUSE_DNS_TSIG_SECRET: bind.tsig.secret,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
  assert.equal(run.code, 0, run.stderr)
  opensslVerify(readFileSync(join(home, 'out', 'fullchain.pem'), 'utf8'), root, {
    name: 'x.cli.example.test',
  })
})
