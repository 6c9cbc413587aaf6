import { after, before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { jsonLogger } from '../../src/logger.js'
import type { OnDemandOptions } from '../../src/manager/on-demand.js'
import { createServer, type GatehouseServer } from '../../src/server/create-server.js'
import { startAcmeFront, type AcmeFront } from '../helpers/acme-front.js'
import { curl, type CurlResult } from '../helpers/curl.js'
import { startPebble, type Pebble } from '../helpers/pebble.js'
import { certId } from '../../src/acme/cert-id.js'
import type { FolderEvent } from '../../src/manager/certificate-folder.js'
import type { ManagerEvent } from '../../src/manager/manager-events.js'
import { FakeClock } from '../../src/testing/fake-clock.js'

// One Pebble (and its front, which counts newOrders) for the file; the tests run one after another
// because each server binds the ports Pebble validates on.
const app = (req: { url?: string | undefined }, res: { end(s: string): void }): void =>
  res.end(`app ${req.url}`)

let pebble: Pebble
let front: AcmeFront
let rootFile: string
before(async () => {
  pebble = await startPebble({ nonceReject: 0 })
  front = await startAcmeFront(pebble)
  rootFile = await pebble.rootFile(0)
})
after(async () => {
  await front?.close()
  await pebble?.stop()
})

interface Started {
  server: GatehouseServer
  lines: string[]
  get: (name: string) => Promise<CurlResult>
}

async function start(
  t: TestContext,
  onDemand: OnDemandOptions,
  extra: { clock?: FakeClock; onEvent?: (e: ManagerEvent | FolderEvent) => void } = {},
): Promise<Started> {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-on-demand-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const lines: string[] = []
  const server = await createServer(
    {
      email: 'ops@example.test',
      home,
      acme: { directory: front.directoryUrl, caCert: pebble.listenerCaFile },
      https: { host: '127.0.0.1', port: pebble.tlsPort },
      http: { host: '127.0.0.1', port: pebble.httpPort },
      onDemand,
      logger: jsonLogger({ level: 'debug', write: (line) => lines.push(line) }),
      ...extra,
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  const port = pebble.tlsPort
  const get = (name: string): Promise<CurlResult> =>
    curl([
      '--resolve',
      `${name}:${port}:127.0.0.1`,
      '--cacert',
      rootFile,
      `https://${name}:${port}/x`,
    ])
  return { server, lines, get }
}

/** An ask endpoint on loopback allowing names that start with `ok`; `asked` lists every question. */
async function askServer(t: TestContext): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = []
  const server = createHttpServer((req, res: ServerResponse) => {
    const domain = new URL(req.url ?? '/', 'http://x').searchParams.get('domain') ?? ''
    asked.push(domain)
    res.writeHead(domain.startsWith('ok') ? 200 : 404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ask`, asked }
}

/** A raw TLS handshake with any SNI (curl refuses some); resolves with the served certificate's SANs. */
function handshake(servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: pebble.tlsPort, servername, rejectUnauthorized: false },
      () => {
        const san = socket.getPeerCertificate().subjectaltname ?? ''
        socket.end()
        resolve(san)
      },
    )
    socket.setTimeout(15_000, () => socket.destroy(new Error('handshake timed out')))
    socket.on('error', reject)
  })
}

/** The certificate served for `servername`, as PEM. */
function servedPem(servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: pebble.tlsPort, servername, rejectUnauthorized: false },
      () => {
        const der = socket.getPeerCertificate().raw
        socket.end()
        resolve(
          `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`,
        )
      },
    )
    socket.setTimeout(15_000, () => socket.destroy(new Error('handshake timed out')))
    socket.on('error', reject)
  })
}

const parsed = (lines: string[]): Record<string, unknown>[] =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>)

test('on demand with an ask URL: an allowed name is obtained at its first handshake, a denied one gets the default and no order; one question per name', async (t) => {
  const ask = await askServer(t)
  const { server, lines, get } = await start(t, { ask: ask.url })
  const orders = front.count('new-order')

  assert.deepEqual(await get('ok1.shop.example.org'), { code: 0, stdout: 'app /x' })
  assert.deepEqual(await get('ok1.shop.example.org'), { code: 0, stdout: 'app /x' })
  assert.equal(front.count('new-order') - orders, 1)

  assert.equal(
    (await get('no.shop.example.org')).code,
    60,
    'the default certificate, not trusted for it',
  )
  assert.equal((await get('no.shop.example.org')).code, 60)
  assert.equal(front.count('new-order') - orders, 1, 'no order for the denied name')

  // Garbage SNI is refused by its syntax and never asked about.
  assert.match(await handshake('bad_name.shop.example.org'), /localhost/)
  assert.match(await handshake('ok.-x.example.org'), /localhost/)
  assert.deepEqual(ask.asked, ['ok1.shop.example.org', 'no.shop.example.org'])

  // The name is managed from now on (renewed like a configured one).
  const status = server.managers.flatMap((m) => m.status())
  assert.equal(status.find((s) => s.name === 'ok1.shop.example.org')?.failures, 0)

  const log = parsed(lines)
  assert.ok(
    log.some(
      (l) => l['msg'] === 'on-demand issuance started' && l['name'] === 'ok1.shop.example.org',
    ),
  )
  assert.ok(
    log.some(
      (l) =>
        l['msg'] === 'certificate obtained' &&
        l['name'] === 'ok1.shop.example.org' &&
        typeof l['serial'] === 'string',
    ),
  )
  assert.ok(
    log.some(
      (l) =>
        l['msg'] === 'on-demand issuance denied' &&
        l['name'] === 'no.shop.example.org' &&
        /404/.test(String(l['reason'])),
    ),
  )
  assert.equal(
    log.filter((l) => l['msg'] === 'on-demand issuance denied' && l['level'] === 'info').length,
    1,
    'a cached denial is not logged again',
  )
  // Issue 3 §3: no private key material in the log of a full obtain.
  assert.ok(lines.length > 0)
  for (const line of lines) assert.doesNotMatch(line, /PRIVATE KEY|BEGIN /)
})

test('on demand: 10 concurrent handshakes for one new name share one order', async (t) => {
  const ask = await askServer(t)
  const { get } = await start(t, { ask: ask.url, allow: ['**.example.org'] })
  const orders = front.count('new-order')
  const results = await Promise.all(Array.from({ length: 10 }, () => get('ok.many.example.org')))
  assert.deepEqual(
    results.map((r) => r.code),
    Array(10).fill(0),
  )
  assert.equal(front.count('new-order') - orders, 1)
  assert.deepEqual(ask.asked, ['ok.many.example.org'])
  // Off the allow-list: not asked, not ordered.
  assert.equal((await get('ok.example.net')).code, 60)
  assert.deepEqual(ask.asked, ['ok.many.example.org'])
})

test('on demand: the rate limit refuses new issuances over it, with a log line; refused names get the default', async (t) => {
  const { lines, get } = await start(t, {
    allow: ['*.rate.example.org'],
    rateLimit: { issuances: 2, intervalMs: 3_600_000 },
  })
  const orders = front.count('new-order')
  assert.equal((await get('a.rate.example.org')).code, 0)
  assert.equal((await get('b.rate.example.org')).code, 0)
  assert.equal((await get('c.rate.example.org')).code, 60)
  assert.equal((await get('a.b.rate.example.org')).code, 60, '*. allows one label only')
  assert.equal(front.count('new-order') - orders, 2)
  assert.equal((await get('a.rate.example.org')).code, 0, 'an admitted name keeps its certificate')
  const refused = parsed(lines).filter((l) => l['msg'] === 'on-demand issuance refused')
  assert.deepEqual(
    refused.map((l) => [l['level'], l['name'], l['reason'], l['limit']]),
    [['warn', 'c.rate.example.org', 'rate limit', '2 per 3600000 ms']],
  )
})

test('on demand: a name without policy is never issued (no onDemand option)', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-on-demand-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const server = await createServer(
    {
      domains: ['configured.example.org'],
      home,
      acme: { directory: front.directoryUrl, caCert: pebble.listenerCaFile },
      https: { host: '127.0.0.1', port: pebble.tlsPort },
      http: { host: '127.0.0.1', port: pebble.httpPort },
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  await server.managers[0]?.ready('configured.example.org', { signal: AbortSignal.timeout(30_000) })
  const orders = front.count('new-order')
  assert.doesNotMatch(await handshake('other.example.org'), /other/)
  assert.equal(front.count('new-order'), orders)
  await assert.rejects(
    createServer({ home, onDemand: {} }, () => {}),
    /onDemand needs a policy: allow/,
  )
})

test('on demand: a local name allowed on demand gets a local-CA certificate', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-on-demand-local-'))
  const server = await createServer(
    {
      home,
      onDemand: { allow: ['*.dev.localhost'] },
      https: { host: '127.0.0.1', port: 0 },
      http: { port: -1 },
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const get = (name: string): Promise<CurlResult> =>
    curl([
      '--resolve',
      `${name}:${server.httpsPort}:127.0.0.1`,
      '--cacert',
      join(home, 'local-ca', 'root.crt'),
      `https://${name}:${server.httpsPort}/l`,
    ])
  assert.deepEqual(await get('feature.dev.localhost'), { code: 0, stdout: 'app /l' })
  assert.equal((await get('other.localhost')).code, 60, 'not allowed: the default certificate')
})

test('on demand: asked again before a renewal; allowed renews (one order, new serial), denied orders nothing and keeps serving', async (t) => {
  let allow = true
  let asked = 0
  const askHttp = createHttpServer((_req, res: ServerResponse) => {
    asked++
    res.writeHead(allow ? 200 : 410).end()
  })
  await new Promise<void>((resolve) => askHttp.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    askHttp.closeAllConnections()
    return new Promise<void>((resolve) => askHttp.close(() => resolve()))
  })
  const ask = `http://127.0.0.1:${(askHttp.address() as AddressInfo).port}/ask`
  const clock = new FakeClock(Date.now())
  const events: ManagerEvent[] = []
  const { lines, get } = await start(
    t,
    { ask },
    { clock, onEvent: (e) => void ('file' in e || events.push(e)) },
  )
  const name = 'renew.shop.example.org'
  const orders = front.count('new-order')
  assert.equal((await get(name)).code, 0)
  assert.deepEqual([front.count('new-order') - orders, asked], [1, 1])

  // Every loop on the fake clock asleep again: what "the server is idle" means here.
  const sleepers = async (): Promise<number> => {
    let last = -1
    for (let i = 0; i < 100 && clock.pending !== last; i++) {
      last = clock.pending
      await new Promise((r) => setTimeout(r, 20))
    }
    return last
  }
  const base = await sleepers()
  /** Advances the clock an hour at a time (at most `hours`) until `done()`. */
  const until = async (hours: number, done: () => boolean): Promise<void> => {
    for (let h = 0; h < hours && !done(); h++) {
      await clock.advance(3_600_000)
      for (let i = 0; i < 1500 && clock.pending < base; i++)
        await new Promise((r) => setTimeout(r, 20))
    }
  }
  const renewalDue = (pem: string): void => {
    const now = clock.now()
    front.setRenewalWindow(
      { start: new Date(now - 2 * 86_400_000), end: new Date(now - 86_400_000) },
      certId(pem),
    )
  }

  const first = await servedPem(name)
  renewalDue(first)
  await until(14, () => events.some((e) => e.type === 'renewed'))
  assert.equal(front.count('new-order') - orders, 2, 'allowed: renewed with one order')
  const second = await servedPem(name)
  assert.notEqual(certId(second), certId(first), 'a new serial is served')
  assert.ok(asked >= 2, 'asked again before renewing')

  allow = false
  renewalDue(second)
  await until(14, () => events.some((e) => e.type === 'renewal_declined'))
  assert.equal(front.count('new-order') - orders, 2, 'denied: no new order')
  assert.equal(events.filter((e) => e.type === 'renewal_declined').length, 1)
  assert.equal(certId(await servedPem(name)), certId(second), 'still served until it expires')
  const declined = parsed(lines).filter((l) => /renewal declined/.test(String(l['msg'])))
  assert.equal(declined.length, 1, 'logged once')
  assert.match(String(declined[0]?.['reason']), /410/)
  for (const line of lines) assert.doesNotMatch(line, /PRIVATE KEY|BEGIN /)
})
