import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { channel } from 'node:diagnostics_channel'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { AcmeClient } from '../../src/acme/client.js'
import type { Identifier } from '../../src/acme/types.js'
import { startPebble, type Pebble, type PebbleOptions } from '../helpers/pebble.js'

/** Pebble restarts allowed when its HTTP-01 port was taken meanwhile (freePort is only a snapshot). */
const MAX_PORT_RACE_RETRIES = 3

interface Peers {
  pebble: Pebble
  http01: Server
  /** token → key authorization, served at /.well-known/acme-challenge/<token> (RFC 8555 §8.3). */
  answers: Map<string, string>
}

/**
 * Pebble plus an HTTP-01 responder on the port Pebble validates against. The port was free when the
 * fixture chose it, but any socket (even an outgoing one) may take it before we listen; then Pebble
 * is restarted on new ports, a bounded number of times.
 */
async function startPeers(t: TestContext, options: PebbleOptions = {}): Promise<Peers> {
  const answers = new Map<string, string>()
  for (let attempt = 1; ; attempt++) {
    const pebble = await startPebble(options)
    const http01 = createServer((req, res) => {
      const token = req.url?.replace('/.well-known/acme-challenge/', '') ?? ''
      const answer = answers.get(token)
      res.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain' }).end(answer ?? 'no')
    })
    try {
      await new Promise<void>((resolve, reject) => {
        http01.once('error', reject)
        http01.listen(pebble.httpPort, '127.0.0.1', resolve)
      })
    } catch (err) {
      await pebble.stop()
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= MAX_PORT_RACE_RETRIES)
        throw err
      continue
    }
    t.after(async () => {
      await closeServer(http01)
      await pebble.stop()
    })
    return { pebble, http01, answers }
  }
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

function newClient(pebble: Pebble, accountKey?: KeyObject): AcmeClient {
  return new AcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey: accountKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    caCerts: [pebble.listenerCaPem],
  })
}

/** A CSR made by the openssl CLI, so our client is checked against an independent encoder. */
function opensslCsr(dir: string, name: string, san: string): { csrDer: Buffer; keyFile: string } {
  const keyFile = join(dir, `${name}.key`)
  const csrFile = join(dir, `${name}.csr.der`)
  execFileSync(
    'openssl',
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile],
    { stdio: 'ignore', timeout: 30_000 },
  )
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      '/',
      '-addext',
      `subjectAltName=${san}`,
      '-outform',
      'DER',
      '-out',
      csrFile,
    ],
    { stdio: 'ignore', timeout: 30_000 },
  )
  return { csrDer: readFileSync(csrFile), keyFile }
}

interface UndiciHeaders {
  request: { method: string }
  response: { statusCode: number }
}

interface Issued {
  pem: string
  alternates: string[]
  chosenIssuer: string | undefined
  keyFile: string
}

/** A whole RFC 8555 §7.1 flow by hand: order, HTTP-01 for every authorization, finalize, download. */
async function issue(
  client: AcmeClient,
  pebble: Pebble,
  answers: Map<string, string>,
  identifiers: Identifier[],
  name: string,
  preferredChain?: string,
): Promise<Issued> {
  const order = await client.newOrder({ identifiers })
  assert.equal(order.body.status, 'pending')
  for (const authzUrl of order.body.authorizations) {
    const authz = await client.getAuthorization(authzUrl)
    const challenge = authz.body.challenges.find((c) => c.type === 'http-01')
    assert.ok(challenge?.token, 'Pebble offers http-01 with a token')
    answers.set(challenge.token, client.keyAuthorization(challenge.token))
    await client.acceptChallenge(challenge.url)
    const done = await client.waitForAuthorization(authzUrl)
    assert.equal(done.body.status, 'valid', JSON.stringify(done.body))
  }
  const ready = await client.waitForOrder(order.url, ['ready'])
  assert.equal(ready.body.status, 'ready')
  const san = identifiers.map((i) => `${i.type === 'dns' ? 'DNS' : 'IP'}:${i.value}`).join(',')
  const { csrDer, keyFile } = opensslCsr(pebble.dir, name, san)
  await client.finalizeOrder(ready.body.finalize, csrDer)
  const valid = await client.waitForOrder(order.url, ['valid'])
  assert.ok(valid.body.certificate)
  const cert = await client.downloadCertificate(
    valid.body.certificate,
    preferredChain === undefined ? {} : { preferredChain },
  )
  return { ...cert, chosenIssuer: cert.chosenIssuer, keyFile }
}

function pemBlocks(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => `${m[0]}\n`,
  )
}

/** `openssl verify -CAfile root -untrusted intermediates leaf`; throws if openssl disagrees. */
function opensslVerify(dir: string, chainPem: string, rootFile: string, name: string): void {
  const [leaf, ...rest] = pemBlocks(chainPem)
  assert.ok(leaf && rest.length > 0, 'chain has a leaf and an intermediate')
  writeFileSync(join(dir, `${name}-leaf.pem`), leaf)
  writeFileSync(join(dir, `${name}-inter.pem`), rest.join(''))
  const out = execFileSync(
    'openssl',
    [
      'verify',
      '-CAfile',
      rootFile,
      '-untrusted',
      join(dir, `${name}-inter.pem`),
      join(dir, `${name}-leaf.pem`),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  )
  assert.match(out, /: OK/)
}

function cnOf(pem: string): string {
  const line = new X509Certificate(pem).subject.split('\n').find((l) => l.startsWith('CN='))
  return line?.slice(3) ?? ''
}

test('a full order over HTTP-01, verified by openssl, then revoked two ways', async (t) => {
  const { pebble, answers } = await startPeers(t)
  const client = newClient(pebble)
  t.after(() => client.close())
  await client.newAccount({ termsOfServiceAgreed: true })

  const first = await issue(
    client,
    pebble,
    answers,
    [
      { type: 'dns', value: 'a.example.com' },
      { type: 'dns', value: 'b.example.com' },
    ],
    'first',
  )
  opensslVerify(pebble.dir, first.pem, await pebble.rootFile(0), 'first')
  const leaf = new X509Certificate(pemBlocks(first.pem)[0] ?? '')
  assert.match(leaf.subjectAltName ?? '', /DNS:a\.example\.com/)
  assert.deepEqual(first.alternates, [])

  // RFC 8555 §7.6, by the account that ordered it (kid), with a reason.
  assert.equal((await pebble.certStatus(leaf.serialNumber)).Status, 'Valid')
  await client.revokeCertificate(leaf.raw, { reason: 4 })
  const revoked = await pebble.certStatus(leaf.serialNumber)
  assert.equal(revoked.Status, 'Revoked', JSON.stringify(revoked))
  assert.equal(revoked['Reason'], 4, JSON.stringify(revoked))

  // By the certificate's own key (jwk), from a client that has no account at all.
  const second = await issue(
    client,
    pebble,
    answers,
    [{ type: 'dns', value: 'c.example.com' }],
    'second',
  )
  const leaf2 = new X509Certificate(pemBlocks(second.pem)[0] ?? '')
  const stranger = newClient(pebble)
  t.after(() => stranger.close())
  await stranger.revokeCertificate(leaf2.raw, {
    reason: 1,
    certificateKey: createPrivateKey(readFileSync(second.keyFile)),
  })
  const revoked2 = await pebble.certStatus(leaf2.serialNumber)
  assert.equal(revoked2.Status, 'Revoked')
  assert.equal(revoked2['Reason'], 1, JSON.stringify(revoked2))
})

test('an ip identifier order for 127.0.0.1 (RFC 8738)', async (t) => {
  const { pebble, answers } = await startPeers(t)
  const client = newClient(pebble)
  t.after(() => client.close())
  await client.newAccount({ termsOfServiceAgreed: true })
  const cert = await issue(client, pebble, answers, [{ type: 'ip', value: '127.0.0.1' }], 'ip')
  const leaf = new X509Certificate(pemBlocks(cert.pem)[0] ?? '')
  assert.match(leaf.subjectAltName ?? '', /IP Address:127\.0\.0\.1/)
  opensslVerify(pebble.dir, cert.pem, await pebble.rootFile(0), 'ip')
})

test('alternate chains: all downloaded, preferredChain picks by topmost issuer CN', async (t) => {
  const { pebble, answers } = await startPeers(t, { alternateRoots: 2 })
  const client = newClient(pebble)
  t.after(() => client.close())
  await client.newAccount({ termsOfServiceAgreed: true })
  const wanted = cnOf(await pebble.root(2))
  const defaultRoot = cnOf(await pebble.root(0))
  assert.notEqual(wanted, defaultRoot)

  const cert = await issue(
    client,
    pebble,
    answers,
    [{ type: 'dns', value: 'alt.example.com' }],
    'alt',
    wanted,
  )
  assert.equal(cert.alternates.length, 2)
  assert.equal(cert.chosenIssuer, wanted)
  assert.ok(cert.alternates.includes(cert.pem))
  opensslVerify(pebble.dir, cert.pem, await pebble.rootFile(2), 'alt')

  const fallback = await issue(
    client,
    pebble,
    answers,
    [{ type: 'dns', value: 'alt2.example.com' }],
    'alt2',
    'No Such Root CA',
  )
  assert.equal(fallback.chosenIssuer, defaultRoot)
  assert.ok(!fallback.alternates.includes(fallback.pem))
  opensslVerify(pebble.dir, fallback.pem, await pebble.rootFile(0), 'alt2')
})

test('a whole order succeeds when Pebble rejects half of all nonces', async (t) => {
  const { pebble, answers } = await startPeers(t, { nonceReject: 50 })
  const client = newClient(pebble)
  t.after(() => client.close())
  // Every 400 answer here is a badNonce (Pebble logs none of them); undici reports each response.
  let rejected = 0
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as UndiciHeaders
    if (request.method === 'POST' && response.statusCode === 400) rejected++
  }
  // Node 20 holds channels weakly: keep this one referenced, or its subscriber may vanish in a GC.
  const headers = channel('undici:request:headers')
  headers.subscribe(onHeaders)
  t.after(() => headers.unsubscribe(onHeaders))
  await client.newAccount({ termsOfServiceAgreed: true })
  const domain = [{ type: 'dns' as const, value: 'nonce.example.com' }]
  const cert = await issue(client, pebble, answers, domain, 'nonce')
  opensslVerify(pebble.dir, cert.pem, await pebble.rootFile(0), 'nonce')
  assert.ok(rejected >= 2, `expected several badNonce answers, saw ${rejected}`)
})
