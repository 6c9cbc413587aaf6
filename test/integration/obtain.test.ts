import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AcmeClient } from '../../src/acme/client.js'
import { generateKey } from '../../src/crypto/keys.js'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { AuthorizationError } from '../../src/issuance/authorization-error.js'
import { Dns01Solver } from '../../src/issuance/dns-01-solver.js'
import { ExecDnsProvider } from '../../src/issuance/dns/exec-provider.js'
import { Http01StandaloneSolver } from '../../src/issuance/http-01-solver.js'
import { parseIdentifiers } from '../../src/issuance/identifiers.js'
import { obtain, type ObtainProgress } from '../../src/issuance/obtain.js'
import { TlsAlpn01StandaloneSolver } from '../../src/issuance/tls-alpn-01-solver.js'
import { startPebble, type Pebble } from '../helpers/pebble.js'
import { opensslText, opensslVerify } from '../helpers/openssl.js'
import { newAccountClient } from '../helpers/acme-account.js'
import { tempDir } from '../helpers/temp-dir.js'

describe('obtain() against real Pebble', () => {
  let pebble: Pebble
  let client: AcmeClient
  let root: string
  before(async () => {
    pebble = await startPebble()
    root = await pebble.root(0)
    client = new AcmeClient({
      directoryUrl: pebble.directoryUrl,
      accountKey: await generateKey('ec256'),
      caCerts: [pebble.listenerCaPem],
    })
    await client.newAccount({ termsOfServiceAgreed: true })
  })
  after(async () => {
    await client?.close()
    await pebble?.stop()
  })

  test('http-01: a certificate openssl verifies for every name', async () => {
    const events: ObtainProgress[] = []
    const solver = new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })
    const result = await obtain(parseIdentifiers(['a.example.test', 'b.example.test']), {
      client,
      solvers: [solver],
      onProgress: (e) => events.push(e),
    })
    opensslVerify(result.certificatePem, root, { name: 'b.example.test' })
    const info = parseCertificate(result.certificatePem)
    assert.deepEqual(info.dnsNames.sort(), ['a.example.test', 'b.example.test'])
    assert.equal(events.filter((e) => e.step === 'challenge').length, 2)
    assert.ok(events.some((e) => e.step === 'download'))
    assert.equal(solver.responder.size, 0, 'answers are cleaned up')
  })

  test('tls-alpn-01: the standalone TLS listener answers acme-tls/1', async () => {
    const result = await obtain(parseIdentifiers(['alpn.example.test']), {
      client,
      solvers: [new TlsAlpn01StandaloneSolver({ host: '127.0.0.1', port: pebble.tlsPort })],
      keyType: 'ec384',
    })
    opensslVerify(result.certificatePem, root, { name: 'alpn.example.test' })
    assert.match(opensslText(result.certificatePem), /NIST CURVE: P-384|secp384r1/i)
  })

  test('an IP identifier (RFC 8738) over http-01 gets an iPAddress SAN and no CN', async () => {
    const result = await obtain(parseIdentifiers(['127.0.0.1']), {
      client,
      solvers: [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })],
      keyType: 'rsa2048',
    })
    opensslVerify(result.certificatePem, root, { ip: '127.0.0.1' })
    assert.deepEqual(parseCertificate(result.certificatePem).ipAddresses, ['127.0.0.1'])
  })

  // challtestsrv 2.4.0 holds one TXT value per name (set-txt), so the wildcard and its base name,
  // which share _acme-challenge.<base>, are tested together against BIND (rfc2136) instead.
  test('dns-01 with the exec provider: a wildcard and another name in one certificate', async (t) => {
    const dir = tempDir(t, 'gatehouse-exec')
    const script = join(dir, 'challtestsrv-hook.sh')
    const log = join(dir, 'calls.log')
    // The lego exec contract: `$0 present|cleanup FQDN VALUE`; this hook drives challtestsrv.
    writeFileSync(
      script,
      `#!/bin/sh\necho "$1 $2 $3" >> ${log}\ncase "$1" in\n` +
        `present) curl -sf -X POST -d "{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}" ${pebble.challtestsrvUrl}/set-txt ;;\n` +
        `cleanup) curl -sf -X POST -d "{\\"host\\":\\"$2\\"}" ${pebble.challtestsrvUrl}/clear-txt ;;\nesac\n`,
    )
    chmodSync(script, 0o755)
    const result = await obtain(parseIdentifiers(['*.wild.example.test', 'other.example.test']), {
      client,
      solvers: [
        new Dns01Solver({
          provider: new ExecDnsProvider({ command: script }),
          propagation: { resolver: pebble.dnsServer, intervalMs: 100 },
        }),
      ],
    })
    opensslVerify(result.certificatePem, root, { name: 'anything.wild.example.test' })
    const calls = readFileSync(log, 'utf8').trim().split('\n')
    assert.equal(
      calls.filter((c) => c.startsWith('present _acme-challenge.wild.example.test. ')).length,
      1,
    )
    assert.equal(
      calls.filter((c) => c.startsWith('present _acme-challenge.other.example.test. ')).length,
      1,
    )
    assert.equal(calls.filter((c) => c.startsWith('cleanup ')).length, 2)
  })

  test('a wildcard without dns-01 is refused before anything is sent', async () => {
    await assert.rejects(
      obtain(parseIdentifiers(['*.example.test']), {
        client,
        solvers: [new Http01StandaloneSolver({ port: pebble.httpPort })],
      }),
      (err: Error & { code?: string }) =>
        err.code === 'ERR_INVALID_IDENTIFIER' && /dns-01/.test(err.message),
    )
  })

  test('a failed challenge names the identifier and the CA detail, and nothing stays presented', async () => {
    // Nothing listens on the HTTP-01 port for this name: the solver answers only for its own Host.
    const solver = new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })
    const wrong = {
      ...solver,
      type: 'http-01' as const,
      present: async () => {},
      cleanup: async () => {},
    }
    const err = await obtain(parseIdentifiers(['fails.example.test']), {
      client,
      solvers: [wrong],
    }).catch((e: unknown) => e)
    assert.ok(err instanceof AuthorizationError, String(err))
    assert.equal(err.code, 'ERR_AUTHORIZATION_FAILED')
    assert.equal(err.failures[0]?.identifier.value, 'fails.example.test')
    assert.match(err.message, /fails\.example\.test \(http-01\): connection/)
    assert.ok(err.failures[0]?.problem?.type.startsWith('urn:ietf:params:acme:error:'))
  })

  test('an aborted signal stops the flow with ERR_ABORTED', async () => {
    const controller = new AbortController()
    const p = obtain(parseIdentifiers(['abort.example.test']), {
      client,
      solvers: [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })],
      signal: controller.signal,
    })
    controller.abort()
    await assert.rejects(p, { code: 'ERR_ABORTED' })
  })
})

describe('obtain() with authorization reuse', () => {
  test('authorizations already valid are not solved again', async (t) => {
    const pebble = await startPebble({ authzReuse: 100 })
    t.after(() => pebble.stop())
    const client = await newAccountClient(t, pebble.directoryUrl, pebble.listenerCaPem)
    const solver = new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })
    await obtain(parseIdentifiers(['reuse.example.test']), { client, solvers: [solver] })
    const events: ObtainProgress[] = []
    let presented = 0
    const counting = {
      type: 'http-01' as const,
      present: async () => void presented++,
      cleanup: async () => {},
    }
    await obtain(parseIdentifiers(['reuse.example.test']), {
      client,
      solvers: [counting],
      onProgress: (e) => events.push(e),
    })
    assert.equal(presented, 0)
    const order = events.find((e) => e.step === 'order')
    assert.ok(
      (order?.step === 'order' && order.status === 'ready') ||
        events.some((e) => e.step === 'challenge' && e.reused),
      'the second order reuses the valid authorization',
    )
  })
})

describe('obtain() at 50% nonce rejection', () => {
  test('badNonce retries carry a whole issuance through', async (t) => {
    const pebble = await startPebble({ nonceReject: 50 })
    t.after(() => pebble.stop())
    const client = await newAccountClient(t, pebble.directoryUrl, pebble.listenerCaPem)
    for (const name of ['n1.example.test', 'n2.example.test', 'n3.example.test']) {
      const result = await obtain(parseIdentifiers([name]), {
        client,
        solvers: [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })],
      })
      opensslVerify(result.certificatePem, await pebble.root(0), { name })
    }
    assert.match(pebble.logs(), /reject 50% of good nonces/)
  })
})
