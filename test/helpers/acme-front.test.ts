import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { Agent, fetch, type Response } from 'undici'
import { startPebble, type Pebble } from './pebble.js'
import { endpointOf, startAcmeFront, type AcmeFront } from './acme-front.js'

/** Polls of an order's status before a test gives up. */
const MAX_POLLS = 50
const CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'

let pebble: Pebble
let agent: Agent

before(async () => {
  pebble = await startPebble({ nonceReject: 0, alwaysValid: true })
  agent = new Agent({ connect: { ca: pebble.listenerCaPem } })
})
after(async () => {
  await agent.close()
  await pebble.stop()
})

type Directory = Record<string, string> & { meta?: Record<string, unknown> }

function get(url: string, init: { method?: string } = {}): Promise<Response> {
  return fetch(url, { ...init, dispatcher: agent })
}

async function directory(front: AcmeFront): Promise<Directory> {
  return (await (await get(front.directoryUrl)).json()) as Directory
}

/** A minimal ACME client: an ES256 account key and RFC 8555 §6.2 flattened JWS over `fetch`. */
class TestClient {
  readonly #key: KeyObject
  readonly #jwk: Record<string, unknown>
  #kid: string | undefined
  #nonce: string | undefined

  constructor(readonly dir: Directory) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.#key = privateKey
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
    this.#jwk = { kty, crv, x, y }
  }

  async post(url: string, payload: unknown): Promise<Response> {
    this.#nonce ??=
      (await get(this.dir['newNonce'] ?? '', { method: 'HEAD' })).headers.get('replay-nonce') ?? ''
    const header = {
      alg: 'ES256',
      nonce: this.#nonce,
      url,
      ...(this.#kid ? { kid: this.#kid } : { jwk: this.#jwk }),
    }
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
    const protectedB64 = b64(header)
    const payloadB64 = payload === '' ? '' : b64(payload)
    const signature = sign('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), {
      key: this.#key,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url')
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/jose+json' },
      body: JSON.stringify({ protected: protectedB64, payload: payloadB64, signature }),
      dispatcher: agent,
    })
    this.#nonce = res.headers.get('replay-nonce') ?? undefined
    return res
  }

  async register(): Promise<Response> {
    const res = await this.post(this.dir['newAccount'] ?? '', { termsOfServiceAgreed: true })
    this.#kid = res.headers.get('location') ?? undefined
    return res
  }
}

async function startFront(
  t: { after: (fn: () => Promise<void>) => void },
  profiles?: Record<string, string>,
): Promise<AcmeFront> {
  const front = await startAcmeFront(pebble, profiles ? { profiles } : {})
  t.after(() => front.close())
  return front
}

async function registered(front: AcmeFront): Promise<TestClient> {
  const client = new TestClient(await directory(front))
  assert.equal((await client.register()).status, 201)
  return client
}

function newOrderPayload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { identifiers: [{ type: 'dns', value: 'front.example' }], ...extra }
}

test('endpointOf() names Pebble paths and nothing else', () => {
  assert.equal(endpointOf('/dir'), 'dir')
  assert.equal(endpointOf('/order-plz'), 'new-order')
  assert.equal(endpointOf('/my-order/abc'), 'order')
  assert.equal(endpointOf('/finalize-order/abc'), 'finalize')
  assert.equal(endpointOf('/chalZ/x'), 'challenge')
  assert.equal(endpointOf('/renewal-info/a.b'), 'renewal-info')
  assert.equal(endpointOf('/dirx'), 'other')
})

test('the directory points at the front and adds renewalInfo and meta.profiles', async (t) => {
  const front = await startFront(t, { classic: 'the default', shortlived: '6 days' })
  const origin = new URL(front.directoryUrl).origin
  const dir = await directory(front)
  assert.equal(dir['renewalInfo'], `${origin}/renewal-info`)
  assert.deepEqual(dir.meta?.['profiles'], { classic: 'the default', shortlived: '6 days' })
  assert.match(String(dir.meta?.['termsOfService']), /^data:/, 'Pebble meta is kept')
  for (const key of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'])
    assert.ok(dir[key]?.startsWith(`${origin}/`), `${key} = ${dir[key]} points at the front`)

  front.setProfiles({})
  assert.equal(
    (await directory(front)).meta?.['profiles'],
    undefined,
    'no profiles → none advertised',
  )
})

test('renewal-info answers the set window with Retry-After, 404 when unknown, 400 when malformed', async (t) => {
  const front = await startFront(t)
  const base = (await directory(front))['renewalInfo']
  const start = new Date('2030-01-01T00:00:00Z')
  const end = new Date('2030-01-02T00:00:00Z')
  front.setRenewalWindow({ start, end, explanationURL: 'https://ca.example/why' }, CERT_ID)

  const res = await get(`${base}/${CERT_ID}`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('retry-after'), '21600')
  assert.deepEqual(await res.json(), {
    suggestedWindow: { start: start.toISOString(), end: end.toISOString() },
    explanationURL: 'https://ca.example/why',
  })

  const unknown = await get(`${base}/AAAA.BBBB`)
  assert.equal(unknown.status, 404)
  assert.equal(unknown.headers.get('content-type'), 'application/problem+json')
  assert.equal(
    ((await unknown.json()) as { type: string }).type,
    'urn:ietf:params:acme:error:malformed',
  )

  front.setRenewalWindow({ start, end, retryAfterSeconds: 60 })
  const global = await get(`${base}/AAAA.BBBB`)
  assert.equal(global.status, 200)
  assert.equal(global.headers.get('retry-after'), '60')

  const bad = await get(`${base}/not-a-cert-id`)
  assert.equal(bad.status, 400)
  assert.equal(
    ((await bad.json()) as { type: string }).type,
    'urn:ietf:params:acme:error:malformed',
  )
  assert.throws(() => front.setRenewalWindow({ start: end, end: start }), RangeError)
})

test('account creation passes through to Pebble and its Location points at the front', async (t) => {
  const front = await startFront(t)
  const client = new TestClient(await directory(front))
  const res = await client.register()
  assert.equal(res.status, 201)
  assert.ok(res.headers.get('replay-nonce'))
  assert.match(
    res.headers.get('location') ?? '',
    new RegExp(`^${new URL(front.directoryUrl).origin}/my-account/`),
  )
  assert.equal(((await res.json()) as { status: string }).status, 'valid')
  assert.deepEqual(
    front.requests.map((r) => [r.method, r.endpoint, r.status]),
    [
      ['GET', 'dir', 200],
      ['HEAD', 'nonce', 200],
      ['POST', 'new-account', 201],
    ],
  )
})

test('newOrder with an unadvertised profile gets invalidProfile; a good one is echoed on the order', async (t) => {
  const front = await startFront(t, { shortlived: '6 days' })
  const client = await registered(front)
  const newOrder = client.dir['newOrder'] ?? ''

  const bad = await client.post(newOrder, newOrderPayload({ profile: 'bogus' }))
  assert.equal(bad.status, 400)
  assert.equal(
    ((await bad.json()) as { type: string }).type,
    'urn:ietf:params:acme:error:invalidProfile',
  )
  assert.ok(bad.headers.get('replay-nonce'), 'the problem carries a nonce for the next request')

  const good = await client.post(newOrder, newOrderPayload({ profile: 'shortlived' }))
  assert.equal(good.status, 201)
  assert.equal(((await good.json()) as { profile: string }).profile, 'shortlived')
  const again = await client.post(good.headers.get('location') ?? '', '')
  assert.equal(again.status, 200)
  assert.equal(((await again.json()) as { profile: string }).profile, 'shortlived')

  const plain = await client.post(newOrder, newOrderPayload())
  assert.equal(plain.status, 201)
  assert.equal(((await plain.json()) as { profile?: string }).profile, undefined)
  assert.deepEqual(front.orderProfiles, ['bogus', 'shortlived', undefined])
})

test('replaces is recorded and failReplaces() answers 409 alreadyReplaced, then passes', async (t) => {
  const front = await startFront(t)
  const client = await registered(front)
  const newOrder = client.dir['newOrder'] ?? ''
  front.fault({ endpoint: 'new-order', kind: 'rateLimited' })
  const limited = await client.post(newOrder, newOrderPayload({ replaces: 'AAAA.BBBB' }))
  assert.equal(limited.status, 429)
  assert.deepEqual(front.replaces, [], 'a faulted request never reaches the newOrder logic')
  front.failReplaces()
  const refused = await client.post(newOrder, newOrderPayload({ replaces: CERT_ID }))
  assert.equal(refused.status, 409)
  assert.equal(
    ((await refused.json()) as { type: string }).type,
    'urn:ietf:params:acme:error:alreadyReplaced',
  )
  const accepted = await client.post(newOrder, newOrderPayload({ replaces: CERT_ID }))
  assert.equal(accepted.status, 201)
  assert.deepEqual(front.replaces, [CERT_ID, CERT_ID])
})

test('rateLimited and unavailable answer a problem with Retry-After and a nonce, once', async (t) => {
  const front = await startFront(t)
  const nonceUrl = (await directory(front))['newNonce'] ?? ''
  front.fault({ endpoint: 'nonce', kind: 'rateLimited', retryAfterSeconds: 7 })
  front.fault({ endpoint: 'nonce', kind: 'unavailable' })
  const cases = [
    [429, 'urn:ietf:params:acme:error:rateLimited', '7'],
    [503, 'urn:ietf:params:acme:error:serverInternal', '1'],
  ] as const
  for (const [status, type, retryAfter] of cases) {
    const res = await get(nonceUrl)
    assert.equal(res.status, status)
    assert.equal(res.headers.get('content-type'), 'application/problem+json')
    assert.equal(res.headers.get('retry-after'), retryAfter)
    assert.ok(res.headers.get('replay-nonce'))
    const body = (await res.json()) as { type: string; detail: string; status: number }
    assert.deepEqual([body.type, body.status, typeof body.detail], [type, status, 'string'])
  }
  assert.equal((await get(nonceUrl)).status, 204, 'the rules are spent')
})

test('reset drops the connection once; slow delays and then passes through', async (t) => {
  const front = await startFront(t)
  front.fault({ endpoint: 'dir', kind: 'reset' })
  await assert.rejects(get(front.directoryUrl), TypeError, 'fetch fails on a reset socket')
  assert.equal((await get(front.directoryUrl)).status, 200, 'the reset rule is spent')

  front.fault({ endpoint: '*', kind: 'slow', delayMs: 300 })
  const started = performance.now()
  assert.equal((await get(front.directoryUrl)).status, 200)
  assert.ok(performance.now() - started >= 290, 'the slow request waited')
  assert.deepEqual(
    front.requests.map((r) => r.status),
    [0, 200, 200],
  )
})

test('badNonce answers 400 with a fresh Pebble nonce that the retry can use, `times` times', async (t) => {
  const front = await startFront(t)
  const client = new TestClient(await directory(front))
  front.fault({ endpoint: 'new-account', kind: 'badNonce', times: 2 })
  for (let i = 0; i < 2; i++) {
    const res = await client.register()
    assert.equal(res.status, 400)
    assert.equal(
      ((await res.json()) as { type: string }).type,
      'urn:ietf:params:acme:error:badNonce',
    )
    assert.ok(res.headers.get('replay-nonce'))
  }
  assert.equal(
    (await client.register()).status,
    201,
    'Pebble accepts the nonce the fault handed out',
  )
  assert.deepEqual(
    front.requests.filter((r) => r.endpoint === 'new-account').map((r) => r.status),
    [400, 400, 201],
  )
  assert.equal(front.count('new-account'), 3)
  assert.throws(() => front.fault({ endpoint: '*', kind: 'reset', times: 0 }), RangeError)
})

test('a whole order through the front: Pebble issues, every URL and answer goes through the front', async (t) => {
  const front = await startFront(t, { shortlived: '6 days' })
  const client = await registered(front)
  const origin = new URL(front.directoryUrl).origin
  const created = await client.post(
    client.dir['newOrder'] ?? '',
    newOrderPayload({ profile: 'shortlived' }),
  )
  const orderUrl = created.headers.get('location') ?? ''
  const order = (await created.json()) as { authorizations: string[]; finalize: string }
  for (const authzUrl of order.authorizations) {
    assert.ok(authzUrl.startsWith(origin))
    const authz = (await (await client.post(authzUrl, '')).json()) as {
      challenges: { type: string; url: string }[]
    }
    const challenge = authz.challenges.find((c) => c.type === 'http-01')
    assert.ok(challenge, 'an http-01 challenge')
    assert.ok(challenge.url.startsWith(origin), challenge.url)
    assert.equal((await client.post(challenge.url, {})).status, 200)
  }
  assert.equal(await pollOrder(client, orderUrl, 'ready'), 'ready')
  const finalized = await client.post(order.finalize, { csr: csr('front.example', pebble.dir) })
  assert.equal(finalized.status, 200)
  assert.equal(((await finalized.json()) as { profile: string }).profile, 'shortlived')
  assert.equal(await pollOrder(client, orderUrl, 'valid'), 'valid')
  const done = (await (await client.post(orderUrl, '')).json()) as {
    certificate: string
    profile: string
  }
  assert.equal(done.profile, 'shortlived')
  assert.ok(done.certificate.startsWith(origin))
  const pem = await (await client.post(done.certificate, '')).text()
  const [leafPem, issuerPem] = pem.split(/(?<=-----END CERTIFICATE-----)\n/)
  const leaf = new X509Certificate(leafPem ?? '')
  assert.equal(leaf.subjectAltName, 'DNS:front.example')
  assert.ok(leaf.verify(new X509Certificate(issuerPem ?? '').publicKey), "issued by Pebble's CA")
  const endpoints = new Set(front.requests.map((r) => r.endpoint))
  for (const name of ['new-order', 'authz', 'challenge', 'order', 'finalize', 'cert'])
    assert.ok(endpoints.has(name), name)
})

async function pollOrder(client: TestClient, url: string, want: string): Promise<string> {
  let status = ''
  for (let i = 0; i < MAX_POLLS && status !== want && status !== 'invalid'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100))
    status = ((await (await client.post(url, '')).json()) as { status: string }).status
  }
  return status
}

/** A DER CSR for `name`, base64url, made by the openssl CLI. */
function csr(name: string, dir: string): string {
  const keyFile = join(dir, `${name}.key`)
  const der = execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
      '-outform',
      'DER',
    ],
    { timeout: 30_000 },
  )
  return der.toString('base64url')
}
