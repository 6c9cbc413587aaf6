import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect as h2connect } from 'node:http2'
import { Agent, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer } from 'node:net'
import type { SiteOptions } from '../../src/proxy/types.js'
import { createGateway } from '../../src/proxy/gateway.js'
import { startGatehouse } from '../../src/serve/start-gatehouse.js'
import { silentLogger } from '../../src/logger.js'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { testConfig } from '../helpers/gatehouse-config.js'
import { startUpstream } from '../helpers/upstream.js'

const HOST = 'drain.test'

/** The sites of a one-route gatehouse.toml, resolved by the config layer (every default filled in). */
function sitesTo(port: number): SiteOptions[] {
  const text = `[[site]]\nhosts = ["${HOST}"]\n[[site.route]]\npath = "/"\nproxy = "127.0.0.1:${port}"\n`
  return resolveConfig({
    file: { name: 'test.toml', path: '/tmp/test.toml', text },
    cwd: '/tmp',
    userHome: '/tmp',
    cpus: 1,
  }).config.sites
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

test('drain: GOAWAY to HTTP/2 clients, idle keep-alives closed at once, in-flight requests finish, no new connections', async (t) => {
  const slow = await startUpstream('slow', { delayMs: 800 })
  t.after(() => slow.close())
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-drain-'))
  const gh = await startGatehouse(testConfig(home, { sites: sitesTo(slow.port) }), {
    logger: silentLogger,
    createGateway,
  })
  t.after(() => gh.close())
  // After the close: hooks run in the order they were added, and removing the folder while
  // Gatehouse still writes to it failed with ENOTEMPTY and left the server running.
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const port = gh.httpsPort ?? 0
  const ca = readFileSync(join(home, 'local-ca/root.crt'), 'utf8')

  // An idle HTTP/1.1 keep-alive connection (one request answered, socket kept).
  const agent = new Agent({ keepAlive: true, ca, servername: HOST })
  t.after(() => agent.destroy())
  let idleClosed = false
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/warm', agent, headers: { host: HOST } },
      (res) => {
        res.resume()
        res.on('end', () => {
          req.socket?.once('close', () => (idleClosed = true))
          resolve()
        })
      },
    )
    req.on('error', reject)
    req.end()
  })

  // A slow HTTP/2 request in flight.
  const session = h2connect(`https://${HOST}:${port}`, {
    ca,
    host: '127.0.0.1',
    servername: HOST,
  } as never)
  t.after(() => session.destroy())
  let goaway = false
  session.on('goaway', () => (goaway = true))
  const stream = session.request({ ':path': '/slow', ':authority': HOST })
  let body = ''
  stream.on('data', (c: Buffer) => (body += c.toString()))
  const ended = new Promise<number>((resolve) =>
    stream.on('response', (h) => stream.on('end', () => resolve(Number(h[':status'])))),
  )
  await new Promise((r) => setTimeout(r, 200))

  const draining = gh.drain(5000)
  await new Promise((r) => setTimeout(r, 150))
  assert.ok(goaway, 'HTTP/2 client told with GOAWAY')
  assert.ok(idleClosed, 'the idle HTTP/1.1 keep-alive connection is closed at once')
  assert.ok(await refused(port), 'no new connections')
  assert.equal(await ended, 200)
  assert.equal(body, 'slow GET /slow\n')
  assert.equal(await draining, true, 'finished before the deadline')
})

test('reload with a new HTTPS port re-listens that listener only; a connection on the old port keeps working', async (t) => {
  const up = await startUpstream('up')
  t.after(() => up.close())
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-relisten-'))
  const config = testConfig(home, { sites: sitesTo(up.port) })
  const gh = await startGatehouse(config, { logger: silentLogger, createGateway })
  t.after(() => gh.close())
  // After the close: hooks run in the order they were added, and removing the folder while
  // Gatehouse still writes to it failed with ENOTEMPTY and left the server running.
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const oldPort = gh.httpsPort ?? 0
  const httpPort = gh.httpPort
  const ca = readFileSync(join(home, 'local-ca/root.crt'), 'utf8')
  const session = h2connect(`https://${HOST}:${oldPort}`, {
    ca,
    host: '127.0.0.1',
    servername: HOST,
  } as never)
  t.after(() => session.destroy())
  const get = (s: typeof session, path: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const st = s.request({ ':path': path, ':authority': HOST })
      let b = ''
      st.on('data', (c: Buffer) => (b += c.toString()))
      st.on('end', () => resolve(b))
      st.on('error', reject)
    })
  assert.equal(await get(session, '/a'), 'up GET /a\n')

  // A free port: take one from the kernel and release it.
  const probe = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  await gh.reload({ ...config, https: { host: '127.0.0.1', port: probe } })
  assert.equal(gh.httpsPort, probe)
  assert.equal(gh.httpPort, httpPort, 'the HTTP listener is untouched')
  assert.ok(await refused(oldPort), 'the old port no longer accepts')
  assert.equal(await get(session, '/b'), 'up GET /b\n', 'the open connection still works')
  const fresh = h2connect(`https://${HOST}:${probe}`, {
    ca,
    host: '127.0.0.1',
    servername: HOST,
  } as never)
  t.after(() => fresh.destroy())
  assert.equal(await get(fresh, '/c'), 'up GET /c\n')
})
