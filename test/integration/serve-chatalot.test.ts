import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { startPebble } from '../helpers/pebble.js'
import { curl } from '../helpers/curl.js'
import { spawnGatehouse } from '../helpers/gatehouse-process.js'
import { startUpstream } from '../helpers/upstream.js'
import { openWebSocket } from '../helpers/wss-client.js'

const HOST = 'chat.example.org'

/** The status line of a raw HTTP/1.1 request over TLS (for a Content-Length no client would send). */
function rawStatus(port: number, ca: string, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: HOST,
      ca,
      ALPNProtocols: ['http/1.1'],
    })
    let data = ''
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')))
    socket.on('secureConnect', () => socket.write(head))
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1')
      if (data.includes('\r\n')) {
        resolve(data.slice(0, data.indexOf('\r\n')))
        socket.destroy()
      }
    })
    socket.on('error', reject)
  })
}

test('the Chatalot gatehouse.toml with real Pebble: API at /, WebSocket at /ws, 110 MB bodies, HTTP redirect', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const [api, chat] = await Promise.all([startUpstream('api'), startUpstream('chat')])
  t.after(() => Promise.all([api.close(), chat.close()]))
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-chatalot-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  writeFileSync(
    join(home, 'gatehouse.toml'),
    `home = ${JSON.stringify(home)}

[http]
port = ${pebble.httpPort}

[https]
port = ${pebble.tlsPort}

[tls]
email = "ops@example.org"
acme_directory = "${pebble.directoryUrl}"
acme_ca_cert = ${JSON.stringify(pebble.listenerCaFile)}

[[site]]
hosts = ["${HOST}"]

  [[site.route]]
  path = "/"
  proxy = "127.0.0.1:${api.port}"
  max_body = "110MB"

  [[site.route]]
  path = "/ws"
  proxy = "127.0.0.1:${chat.port}"
  websocket_idle_timeout = "7d"
`,
  )
  // No --config: ./gatehouse.toml in the working directory, as an operator runs it.
  const gh = spawnGatehouse(['serve'], {}, home)
  t.after(() => gh.stop('SIGKILL'))
  await gh.waitForLog((l) => l.msg === 'listening')
  const rootFile = await pebble.rootFile(0)
  const root = readFileSync(rootFile, 'utf8')
  const port = pebble.tlsPort
  const tls = ['--resolve', `${HOST}:${port}:127.0.0.1`, '--cacert', rootFile]

  const page = await curl([...tls, `https://${HOST}:${port}/api/messages`], 30)
  assert.deepEqual(page, { code: 0, stdout: 'api GET /api/messages\n' }, gh.stderr())
  const ws = await openWebSocket(HOST, port, '/ws', root)
  assert.equal(await ws.echo('hello'), 'chat: hello')
  ws.ws.close()

  const oneMiB = join(home, 'upload.bin')
  writeFileSync(oneMiB, Buffer.alloc(1 << 20, 'u'))
  const upload = await curl([
    ...tls,
    '--data-binary',
    `@${oneMiB}`,
    `https://${HOST}:${port}/upload`,
  ])
  assert.equal(upload.stdout, 'api POST /upload\n')
  const head = (length: number): string =>
    `POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${length}\r\n\r\n`
  assert.equal(await rawStatus(port, root, head(110_000_001)), 'HTTP/1.1 413 Payload Too Large')
  assert.equal(
    api.requests.filter((r) => r.url === '/upload').length,
    1,
    'the 413 never reached the API',
  )

  const redirect = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{redirect_url}',
    '-H',
    `Host: ${HOST}`,
    `http://127.0.0.1:${pebble.httpPort}/login`,
  ])
  assert.equal(redirect.stdout, `301 https://${HOST}:${port}/login`)
  assert.equal(await gh.stop('SIGTERM'), 0)
})
