import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { getRequestListener } from '@hono/node-server'
import express from 'express'
import Fastify, { type FastifyServerFactoryHandler } from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { createServer, type AppHandler } from '../../src/server/create-server.js'

const run = promisify(execFile)

/** curl's exit code, body, HTTP status and negotiated HTTP version ("2" or "1.1"). */
interface CurlResult {
  code: number
  body: string
  status: string
  version: string
}

// The last line curl writes (after the body) carries what the assertions need besides the body.
const TRAILER = '\n--gatehouse-curl-- %{http_code} %{http_version}'

async function curl(args: string[]): Promise<CurlResult> {
  let code = 0
  let stdout = ''
  try {
    ;({ stdout } = await run('curl', ['-s', '--max-time', '20', '--write-out', TRAILER, ...args]))
  } catch (err) {
    const e = err as { code?: number; stdout?: string }
    code = e.code ?? -1
    stdout = e.stdout ?? ''
  }
  const at = stdout.lastIndexOf('\n--gatehouse-curl-- ')
  const [status = '', version = ''] = stdout.slice(at + 20).split(' ')
  return { code, body: at < 0 ? stdout : stdout.slice(0, at), status, version }
}

/**
 * The same two routes in every framework: GET /hello answers JSON, POST /echo sends its JSON body
 * back with 201. `http2` is what the app is served with; HTTP/2 clients fall back to HTTP/1.1 when
 * it is false.
 */
interface Framework {
  app(): Promise<AppHandler>
  http2: boolean
}

const frameworks: Record<string, Framework> = {
  // Express 4 and 5 set the request's and response's prototypes to ones built on node:http's, which
  // throws on Node's HTTP/2 compatibility objects ("Cannot read properties of undefined (reading
  // 'readable')"), so Express is served over HTTP/1.1 only.
  express: { http2: false, app: expressApp },
  koa: { http2: true, app: koaApp },
  fastify: { http2: true, app: fastifyApp },
  hono: { http2: true, app: honoApp },
}

async function expressApp(): Promise<AppHandler> {
  const app = express()
  app.use(express.json())
  app.get('/hello', (req, res) => {
    res.json({ hello: 'express', httpVersion: req.httpVersion })
  })
  app.post('/echo', (req, res) => {
    res.status(201).json({ echo: req.body as unknown })
  })
  return app
}

async function koaApp(): Promise<AppHandler> {
  const app = new Koa()
  app.use(async (ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/hello') {
      ctx.body = { hello: 'koa', httpVersion: ctx.req.httpVersion }
    } else if (ctx.method === 'POST' && ctx.path === '/echo') {
      const chunks: Buffer[] = []
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
      ctx.status = 201
      ctx.body = { echo: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }
    }
  })
  return app.callback()
}

async function fastifyApp(): Promise<AppHandler> {
  let handler: FastifyServerFactoryHandler | undefined
  // Gatehouse owns the listening sockets: the factory keeps Fastify's handler and hands back a
  // server that is never listened on.
  const app = Fastify({
    serverFactory: (h) => {
      handler = h
      return createHttpServer()
    },
  })
  app.get('/hello', async (req) => ({ hello: 'fastify', httpVersion: req.raw.httpVersion }))
  app.post('/echo', async (req, reply) => reply.code(201).send({ echo: req.body }))
  await app.ready()
  return (req: IncomingMessage, res: ServerResponse) => handler?.(req, res)
}

async function honoApp(): Promise<AppHandler> {
  const app = new Hono()
  app.get('/hello', (c) => c.json({ hello: 'hono' }))
  app.post('/echo', async (c) => c.json({ echo: await c.req.json<unknown>() }, 201))
  return getRequestListener(app.fetch)
}

for (const [name, framework] of Object.entries(frameworks)) {
  test(`createServer() serves ${name} over HTTP/2 and HTTP/1.1: JSON from GET, a POST body echoed`, async (t) => {
    const home = mkdtempSync(join(tmpdir(), `gatehouse-${name}-`))
    t.after(() => rmSync(home, { recursive: true, force: true }))
    const server = await createServer(
      {
        domains: ['app.localhost'],
        home,
        https: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        http2: framework.http2,
      },
      await framework.app(),
    )
    await server.listen()
    t.after(() => server.close())
    const port = server.httpsPort ?? 0
    const base = [
      '--resolve',
      `app.localhost:${port}:127.0.0.1`,
      '--cacert',
      join(home, 'local-ca', 'root.crt'),
    ]
    const url = `https://app.localhost:${port}`

    for (const [flag, version] of [
      ['--http2', framework.http2 ? '2' : '1.1'],
      ['--http1.1', '1.1'],
    ] as const) {
      const hello = await curl([...base, flag, `${url}/hello`])
      assert.equal(hello.code, 0, `${flag} GET: curl exit ${hello.code}, body ${hello.body}`)
      assert.equal(hello.version, version, `${flag} negotiates HTTP/${version}`)
      assert.equal(hello.status, '200', `${flag} GET status; body ${hello.body}`)
      const json = JSON.parse(hello.body) as { hello: string }
      assert.equal(json.hello, name)

      const payload = JSON.stringify({ n: 42, text: 'héllo', list: [1, 2, 3] })
      const echo = await curl([
        ...base,
        flag,
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data-binary',
        payload,
        `${url}/echo`,
      ])
      assert.equal(echo.code, 0, `${flag} POST: curl exit ${echo.code}, body ${echo.body}`)
      assert.equal(echo.version, version)
      assert.equal(echo.status, '201', `${flag} POST status; body ${echo.body}`)
      assert.deepEqual(JSON.parse(echo.body), { echo: JSON.parse(payload) as unknown })
    }
  })
}

test('the examples in examples/ type-check against the package as users import it (gatehouse)', async () => {
  // From build/test/integration back to the repository root.
  const root = resolve(import.meta.dirname, '..', '..', '..')
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const project = join(root, 'examples', 'tsconfig.json')
  const result = await run(process.execPath, [tsc, '-p', project, '--noEmit'], { cwd: root }).then(
    () => ({ ok: true, output: '' }),
    (err: Error & { stdout?: string }) => ({ ok: false, output: err.stdout || err.message }),
  )
  assert.deepEqual(result, { ok: true, output: '' })
})
