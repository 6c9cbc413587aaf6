/**
 * Test fixture: an ACME front that sits before a real Pebble and adds what Pebble 2.4.0 lacks: ARI
 * (RFC 9773), profiles (draft-ietf-acme-profiles) and injected faults (rate limits, outages, resets,
 * slowness, bad nonces). Everything else passes through, so certificates stay issued by real Pebble.
 *
 * Why it works: Pebble builds every URL it returns from the request's Host header and checks that a
 * JWS's protected `url` (RFC 8555 §6.4) is `https://<Host><path>`. Forwarding with the ORIGINAL Host
 * (the front's host:port) keeps signatures valid and makes Pebble's URLs point at the front. The front
 * serves TLS with Pebble's listener key and certificate, so clients trust it with `listenerCaPem`.
 *
 * Order of processing for each request: faults first (as at a load balancer before the CA), then the
 * front's own endpoints and checks, then Pebble. A faulted request therefore shows up only in
 * `requests`, not in `orderProfiles` or `replaces`.
 */
import { readFileSync } from 'node:fs'
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http'
import { createServer, request, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { systemClock } from '../../src/clock.js'
import type { Pebble } from './pebble.js'

/** RFC 8555 §6.7: the namespace of ACME error types. */
const ACME_ERROR = 'urn:ietf:params:acme:error:'
/** RFC 9773 §4.3: Retry-After of a renewalInfo answer; 6 hours is what Let's Encrypt sends. */
const DEFAULT_ARI_RETRY_AFTER_SECONDS = 21600
/** Retry-After of injected `rateLimited` / `unavailable` answers, when the rule names none. */
const DEFAULT_FAULT_RETRY_AFTER_SECONDS = 1
/** Delay of an injected `slow` fault, when the rule names none. */
const DEFAULT_SLOW_MS = 1000
/** How long the front waits for Pebble before answering 502. */
const PEBBLE_TIMEOUT_MS = 10_000
/** Request bodies are JWS of a few kB; anything far larger is a test bug. */
const MAX_BODY_BYTES = 1 << 20
/** RFC 9773 §4.1: certID = base64url(AKI keyIdentifier) "." base64url(serial), unpadded. */
const CERT_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
/** Headers that describe one hop and must not be copied across the front. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])

/** Pebble 2.4.0's paths (wfe.go) → the endpoint names faults and the request log use. */
const ENDPOINTS: readonly (readonly [prefix: string, name: string])[] = [
  ['/dir', 'dir'],
  ['/nonce-plz', 'nonce'],
  ['/sign-me-up', 'new-account'],
  ['/order-plz', 'new-order'],
  ['/my-account/', 'account'],
  ['/list-orderz/', 'orders'],
  ['/my-order/', 'order'],
  ['/finalize-order/', 'finalize'],
  ['/authZ/', 'authz'],
  ['/chalZ/', 'challenge'],
  ['/certZ/', 'cert'],
  ['/revoke-cert', 'revoke'],
  ['/rollover-account-key', 'key-change'],
  ['/renewal-info/', 'renewal-info'],
]

export type FaultKind = 'rateLimited' | 'unavailable' | 'reset' | 'slow' | 'badNonce'

export interface FaultRule {
  /** An endpoint name (`'new-order'`, `'finalize'`, `'nonce'`, …) or `'*'` for every request. */
  endpoint: string
  kind: FaultKind
  /** Retry-After of `rateLimited` / `unavailable` answers, in seconds. Default 1. */
  retryAfterSeconds?: number
  /** Delay of a `slow` fault, in milliseconds. Default 1000. */
  delayMs?: number
  /** How many requests the rule hits before it is spent. Default 1. */
  times?: number
}

/** RFC 9773 §4.2: the suggested window a renewalInfo answer carries. */
export interface RenewalWindow {
  start: Date
  end: Date
  explanationURL?: string
  /** Retry-After of the answer, in seconds. Default 21600 (6 hours). */
  retryAfterSeconds?: number
}

export interface FrontRequest {
  method: string
  path: string
  endpoint: string
  /** The status the front answered, or 0 when the socket was reset (or no answer yet). */
  status: number
  /**
   * Pebble refused it with badNonce (PEBBLE_WFE_NONCEREJECT refuses a share of good nonces) and the
   * client sends it again (RFC 8555 §6.5): {@link AcmeFront.count} leaves it out.
   */
  pebbleBadNonce: boolean
}

export interface AcmeFront {
  /** `https://127.0.0.1:PORT/dir` */
  readonly directoryUrl: string
  /** Profiles advertised in `meta.profiles`; newOrder naming another profile gets 400 invalidProfile. */
  setProfiles(profiles: Record<string, string>): void
  /**
   * The profile each newOrder asked for (in order), `undefined` when it named none; a newOrder Pebble
   * refused for a bad nonce is left out (its retry is counted).
   */
  readonly orderProfiles: (string | undefined)[]
  /** The ARI window for `certId`, or for every certID without its own window when omitted. */
  setRenewalWindow(window: RenewalWindow, certId?: string): void
  /** Every `replaces` value sent on newOrder (RFC 9773 §5), in order; bad-nonce retries once. */
  readonly replaces: string[]
  /** The next `times` (default 1) newOrders with `replaces` fail with 409 alreadyReplaced. */
  failReplaces(times?: number): void
  /** Injects a fault; rules are tried in the order added, and a request hits at most one. */
  fault(rule: FaultRule): void
  /** Every request seen, in arrival order. */
  readonly requests: FrontRequest[]
  /**
   * How many requests named `endpoint` (see {@link endpointOf}) the front has seen, leaving out those
   * Pebble refused for a bad nonce (their retries are counted), so a count does not move with Pebble's
   * random nonce refusals.
   */
  count(endpoint: string): number
  close(): Promise<void>
}

interface Upstream {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

interface Answer {
  status: number
  headers: OutgoingHttpHeaders
  body: Buffer
}

/** The endpoint name of a request path, `'other'` when the path is not one of Pebble's. */
export function endpointOf(path: string): string {
  const pathname = path.split('?')[0] ?? path
  for (const [prefix, name] of ENDPOINTS) {
    if (prefix.endsWith('/') ? pathname.startsWith(prefix) : pathname === prefix) return name
  }
  return 'other'
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) req.destroy(new RangeError(`request body over ${MAX_BODY_BYTES}`))
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** The decoded JWS payload (RFC 8555 §6.2) of a request body; the signature is Pebble's business. */
function jwsPayload(body: Buffer): Record<string, unknown> | undefined {
  try {
    const jws = JSON.parse(body.toString('utf8')) as { payload?: unknown }
    if (typeof jws.payload !== 'string' || jws.payload === '') return undefined
    const payload: unknown = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'))
    return typeof payload === 'object' && payload !== null
      ? (payload as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function json(status: number, value: unknown, headers: OutgoingHttpHeaders = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(value, null, 2)),
  }
}

/** RFC 8555 §6.7 / RFC 7807: a problem document answer. */
function problem(
  status: number,
  type: string,
  detail: string,
  headers: OutgoingHttpHeaders = {},
): Answer {
  const answer = json(status, { type: `${ACME_ERROR}${type}`, detail, status }, headers)
  answer.headers['content-type'] = 'application/problem+json'
  return answer
}

/** The last path segment: Pebble's order ID, shared by `/my-order/<id>` and `/finalize-order/<id>`. */
function orderId(path: string): string {
  return path.split('?')[0]?.split('/').pop() ?? ''
}

class Front implements AcmeFront {
  readonly directoryUrl: string
  readonly orderProfiles: (string | undefined)[] = []
  readonly replaces: string[] = []
  readonly requests: FrontRequest[] = []
  #server: Server
  #pebble: { hostname: string; port: number; ca: string }
  #profiles: Record<string, string>
  #windows = new Map<string, RenewalWindow>()
  #globalWindow: RenewalWindow | undefined
  #failReplaces = 0
  #faults: (FaultRule & { left: number })[] = []
  /** Order ID → the profile its newOrder named, so later answers about that order echo it. */
  #profileOfOrder = new Map<string, string>()
  readonly #entries = new WeakMap<IncomingMessage, FrontRequest>()

  constructor(server: Server, pebble: Pebble, profiles: Record<string, string>) {
    this.#server = server
    const url = new URL(pebble.directoryUrl)
    this.#pebble = { hostname: url.hostname, port: Number(url.port), ca: pebble.listenerCaPem }
    this.#profiles = { ...profiles }
    const { port } = server.address() as AddressInfo
    this.directoryUrl = `https://127.0.0.1:${port}/dir`
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res))
  }

  setProfiles(profiles: Record<string, string>): void {
    this.#profiles = { ...profiles }
  }

  setRenewalWindow(window: RenewalWindow, certId?: string): void {
    if (!(window.start < window.end))
      throw new RangeError(
        `renewal window start ${window.start.toISOString()} must precede its end`,
      )
    if (certId === undefined) this.#globalWindow = window
    else if (!CERT_ID.test(certId))
      throw new TypeError(`certId "${certId}" is not base64url(AKI) "." base64url(serial)`)
    else this.#windows.set(certId, window)
  }

  failReplaces(times = 1): void {
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError(`failReplaces times ${times} must be a positive integer`)
    this.#failReplaces += times
  }

  fault(rule: FaultRule): void {
    const times = rule.times ?? 1
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError(`fault times ${times} must be a positive integer`)
    this.#faults.push({ ...rule, left: times })
  }

  count(endpoint: string): number {
    return this.requests.filter((r) => r.endpoint === endpoint && !r.pebbleBadNonce).length
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/'
    const entry: FrontRequest = {
      method: req.method ?? 'GET',
      path,
      endpoint: endpointOf(path),
      status: 0,
      pebbleBadNonce: false,
    }
    this.requests.push(entry)
    this.#entries.set(req, entry)
    res.on('finish', () => (entry.status = res.statusCode))
    try {
      const body = await readBody(req)
      const host = req.headers.host ?? new URL(this.directoryUrl).host
      const answer = await this.#answer(req, entry, host, body)
      if (answer === 'reset') {
        req.socket.destroy()
        return
      }
      res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length })
      res.end(answer.body)
    } catch (err) {
      if (res.headersSent || res.destroyed) return
      const detail = `acme front: ${err instanceof Error ? err.message : String(err)}`
      const answer = problem(502, 'serverInternal', detail)
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body)
    }
  }

  async #answer(
    req: IncomingMessage,
    entry: FrontRequest,
    host: string,
    body: Buffer,
  ): Promise<Answer | 'reset'> {
    const rule = this.#takeFault(entry.endpoint)
    if (rule) {
      const faulted = await this.#injectFault(rule, host)
      if (faulted) return faulted
    }
    switch (entry.endpoint) {
      case 'dir':
        return this.#directory(req, host, body)
      case 'renewal-info':
        return this.#renewalInfo(req.method ?? 'GET', entry.path)
      case 'new-order':
        return this.#newOrder(req, host, body)
      case 'order':
      case 'finalize':
        return this.#withProfile(
          await this.#forward(req, host, body),
          this.#profileOfOrder.get(orderId(entry.path)),
        )
      default:
        return this.#pass(await this.#forward(req, host, body))
    }
  }

  #takeFault(endpoint: string): FaultRule | undefined {
    const rule = this.#faults.find(
      (r) => r.left > 0 && (r.endpoint === '*' || r.endpoint === endpoint),
    )
    if (rule) rule.left--
    return rule
  }

  /** The answer a fault gives, or undefined when the request then passes through (`slow`). */
  async #injectFault(rule: FaultRule, host: string): Promise<Answer | 'reset' | undefined> {
    const retryAfter = {
      'retry-after': String(rule.retryAfterSeconds ?? DEFAULT_FAULT_RETRY_AFTER_SECONDS),
    }
    switch (rule.kind) {
      case 'reset':
        return 'reset'
      case 'slow':
        await systemClock.sleep(rule.delayMs ?? DEFAULT_SLOW_MS)
        return undefined
      // RFC 8555 §6.6: Boulder sends a fresh nonce with every error, and clients rely on it.
      case 'rateLimited':
        return problem(429, 'rateLimited', 'acme front: injected rate limit', {
          ...retryAfter,
          'replay-nonce': await this.#freshNonce(host),
        })
      case 'unavailable':
        return problem(503, 'serverInternal', 'acme front: injected outage', {
          ...retryAfter,
          'replay-nonce': await this.#freshNonce(host),
        })
      // RFC 8555 §6.5: a badNonce answer must carry a usable nonce for the retry.
      case 'badNonce':
        return problem(400, 'badNonce', 'acme front: injected bad nonce', {
          'replay-nonce': await this.#freshNonce(host),
        })
    }
  }

  /** RFC 9773 §3 and draft-ietf-acme-profiles §3: Pebble's directory plus renewalInfo and profiles. */
  async #directory(req: IncomingMessage, host: string, body: Buffer): Promise<Answer> {
    const upstream = await this.#forward(req, host, body)
    if (upstream.status !== 200) return this.#pass(upstream)
    const dir = JSON.parse(upstream.body.toString('utf8')) as Record<string, unknown>
    dir['renewalInfo'] = `https://${host}/renewal-info`
    if (Object.keys(this.#profiles).length > 0) {
      const meta = (dir['meta'] ?? {}) as Record<string, unknown>
      dir['meta'] = { ...meta, profiles: { ...this.#profiles } }
    }
    return json(200, dir, { 'cache-control': 'public, max-age=0, no-cache' })
  }

  /**
   * RFC 9773 §4.2: `GET <renewalInfo>/<certID>`. A certID with its own window gets it; otherwise the
   * window set for all; with neither, the front knows nothing to compute a window from and answers
   * 404 malformed, as a CA does for a certificate it never issued.
   */
  #renewalInfo(method: string, path: string): Answer {
    if (method !== 'GET') return problem(405, 'malformed', `renewalInfo takes GET, not ${method}`)
    const certId = path.split('?')[0]?.slice('/renewal-info/'.length) ?? ''
    if (!CERT_ID.test(certId))
      return problem(
        400,
        'malformed',
        `certID "${certId}" is not base64url(AKI) "." base64url(serial)`,
      )
    const window = this.#windows.get(certId) ?? this.#globalWindow
    if (!window) return problem(404, 'malformed', `no renewal information for certID "${certId}"`)
    const info: Record<string, unknown> = {
      suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() },
    }
    if (window.explanationURL !== undefined) info['explanationURL'] = window.explanationURL
    const retryAfter = window.retryAfterSeconds ?? DEFAULT_ARI_RETRY_AFTER_SECONDS
    return json(200, info, { 'retry-after': String(retryAfter) })
  }

  /** RFC 8555 §7.4 newOrder, with draft-ietf-acme-profiles §4 `profile` and RFC 9773 §5 `replaces`. */
  async #newOrder(req: IncomingMessage, host: string, body: Buffer): Promise<Answer> {
    const payload = jwsPayload(body)
    const profile = typeof payload?.['profile'] === 'string' ? payload['profile'] : undefined
    const replaces = typeof payload?.['replaces'] === 'string' ? payload['replaces'] : undefined
    this.orderProfiles.push(profile)
    if (replaces !== undefined) this.replaces.push(replaces)
    if (profile !== undefined && !Object.hasOwn(this.#profiles, profile)) {
      const offered = Object.keys(this.#profiles).join(', ') || 'none'
      return problem(
        400,
        'invalidProfile',
        `profile "${profile}" is not offered (offered: ${offered})`,
        {
          'replay-nonce': await this.#freshNonce(host),
        },
      )
    }
    if (replaces !== undefined && this.#failReplaces > 0) {
      this.#failReplaces--
      return problem(409, 'alreadyReplaced', `certificate ${replaces} has already been replaced`, {
        'replay-nonce': await this.#freshNonce(host),
      })
    }
    const upstream = await this.#forward(req, host, body)
    if (isBadNonce(upstream)) {
      // Pebble refuses a share of nonces (PEBBLE_WFE_NONCEREJECT); the client sends this newOrder
      // again with a fresh one (RFC 8555 §6.5), and that one is the order recorded.
      this.orderProfiles.pop()
      if (replaces !== undefined) this.replaces.pop()
    }
    const location = upstream.headers.location
    if (profile !== undefined && upstream.status === 201 && location)
      this.#profileOfOrder.set(orderId(new URL(location).pathname), profile)
    return this.#withProfile(upstream, profile)
  }

  /** draft-ietf-acme-profiles §4: an order object names the profile it was created with. */
  #withProfile(upstream: Upstream, profile: string | undefined): Answer {
    const type = String(upstream.headers['content-type'] ?? '')
    if (profile === undefined || upstream.status >= 300 || !type.startsWith('application/json'))
      return this.#pass(upstream)
    const order = JSON.parse(upstream.body.toString('utf8')) as Record<string, unknown>
    return {
      ...this.#pass(upstream),
      body: Buffer.from(JSON.stringify({ ...order, profile }, null, 2)),
    }
  }

  #pass(upstream: Upstream): Answer {
    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value
    }
    return { status: upstream.status, headers, body: upstream.body }
  }

  /** RFC 8555 §7.2: a nonce from Pebble, so injected errors carry one clients can use. */
  async #freshNonce(host: string): Promise<string> {
    const upstream = await this.#upstream('HEAD', '/nonce-plz', { host }, Buffer.alloc(0))
    const nonce = upstream.headers['replay-nonce']
    if (typeof nonce !== 'string')
      throw new Error(`Pebble HEAD /nonce-plz gave no nonce (${upstream.status})`)
    return nonce
  }

  async #forward(req: IncomingMessage, host: string, body: Buffer): Promise<Upstream> {
    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value
    }
    const up = await this.#upstream(req.method ?? 'GET', req.url ?? '/', { ...headers, host }, body)
    const entry = this.#entries.get(req)
    if (entry && isBadNonce(up)) entry.pebbleBadNonce = true
    return up
  }

  #upstream(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body: Buffer,
  ): Promise<Upstream> {
    const { hostname, port, ca } = this.#pebble
    const init = {
      hostname,
      port,
      path,
      method,
      ca,
      headers: { ...headers, 'content-length': body.length },
    }
    return new Promise((resolve, reject) => {
      const out = request({ ...init, timeout: PEBBLE_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
        res.on('error', reject)
      })
      out.on('timeout', () =>
        out.destroy(
          new Error(`Pebble did not answer ${method} ${path} in ${PEBBLE_TIMEOUT_MS} ms`),
        ),
      )
      out.on('error', reject)
      out.end(body)
    })
  }
}

/** Starts a front on a free loopback port before `pebble`; `close()` stops it (not Pebble). */
export async function startAcmeFront(
  pebble: Pebble,
  options: { profiles?: Record<string, string> } = {},
): Promise<AcmeFront> {
  const server = createServer({
    key: readFileSync(pebble.listenerKeyFile),
    cert: readFileSync(pebble.listenerCaFile),
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return new Front(server, pebble, options.profiles ?? {})
}

/** Whether Pebble answered with an RFC 8555 §6.5 badNonce problem. */
function isBadNonce(upstream: Upstream): boolean {
  return upstream.status === 400 && upstream.body.includes('urn:ietf:params:acme:error:badNonce')
}
