import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request } from 'node:http'
import { connect, createServer as createTlsServer } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { MemoryStorage } from '../storage/memory-storage.js'
import { ChallengeStore } from './challenge-store.js'
import { Http01Responder } from './http-01-responder.js'
import { Http01InProcessSolver, TlsAlpn01InProcessSolver } from './in-process-solvers.js'
import { ACME_TLS_ALPN, TlsAlpnResponder } from './tls-alpn-01-responder.js'

const token = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA'
const challenge = {
  identifier: { type: 'dns' as const, value: 'shop.example.org' },
  wildcard: false,
  token,
  keyAuthorization: `${token}.thumb`,
  dnsValue: '',
}

function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('HTTP-01: an answer presented by one process is served by another sharing the storage', async (t) => {
  const storage = new MemoryStorage()
  const presenter = new Http01InProcessSolver(new Http01Responder(), {
    store: new ChallengeStore(storage),
  })
  const other = new Http01Responder({ store: new ChallengeStore(storage) })
  const server = createServer((req, res) => {
    if (!other.handle(req, res)) res.writeHead(418).end('app')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const port = (server.address() as AddressInfo).port
  const path = `/.well-known/acme-challenge/${token}`

  assert.deepEqual(await get(port, path, 'shop.example.org'), {
    status: 404,
    body: 'no such challenge\n',
  })
  await presenter.present(challenge)
  assert.deepEqual(await get(port, path, 'shop.example.org:80'), {
    status: 200,
    body: challenge.keyAuthorization,
  })
  assert.equal((await get(port, path, 'other.example.org')).status, 404, 'another Host')
  assert.equal((await get(port, '/', 'shop.example.org')).status, 418, 'not a challenge path')
  const upper = `/.well-known/acme-challenge/${token.toUpperCase()}`
  assert.equal(
    (await get(port, upper, 'shop.example.org')).status,
    404,
    'tokens are case-sensitive',
  )
  await presenter.cleanup(challenge)
  assert.equal((await get(port, path, 'shop.example.org')).status, 404, 'cleaned up')
  assert.deepEqual(await storage.list('challenges', { recursive: true }), [])
})

test('TLS-ALPN-01: a handshake reaching another process gets the stored answer through async SNI', async (t) => {
  const storage = new MemoryStorage()
  const presenter = new TlsAlpn01InProcessSolver(new TlsAlpnResponder(), {
    store: new ChallengeStore(storage),
  })
  const other = new TlsAlpnResponder({ store: new ChallengeStore(storage) })
  assert.equal(other.contextFor('shop.example.org'), undefined)
  const server = createTlsServer({
    ALPNProtocols: [ACME_TLS_ALPN],
    SNICallback: (name, done) =>
      void other.sharedContextFor(name).then(
        (ctx) => done(ctx ? null : new Error('none'), ctx),
        (err: Error) => done(err),
      ),
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const port = (server.address() as AddressInfo).port
  const handshake = (): Promise<string | undefined> =>
    new Promise((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'shop.example.org',
        ALPNProtocols: [ACME_TLS_ALPN],
        rejectUnauthorized: false,
      })
      socket.on('secureConnect', () => {
        resolve(socket.getPeerX509Certificate()?.subjectAltName)
        socket.destroy()
      })
      socket.on('error', () => resolve(undefined))
    })
  assert.equal(await handshake(), undefined, 'nothing pending: handshake fails')
  await presenter.present(challenge)
  assert.equal(await handshake(), 'DNS:shop.example.org')
  await presenter.cleanup(challenge)
  assert.equal(await other.sharedContextFor('shop.example.org'), undefined)
})
