import { test } from 'node:test'
import assert from 'node:assert/strict'
import express from 'express'
import { createServer } from '../../src/server/create-server.js'
import { curl } from '../helpers/curl.js'
import { startPebble } from '../helpers/pebble.js'
import { tempDir } from '../helpers/temp-dir.js'

// Issue 3's "done when": an Express app behind createServer() gets its certificate from an ACME CA
// (real Pebble) and serves a page that curl accepts against Pebble's root.
test('Express behind createServer() with a certificate from Pebble, accepted by curl against its root', async (t) => {
  const pebble = await startPebble()
  t.after(() => pebble.stop())
  const home = tempDir(t, 'gatehouse-express')
  const app = express()
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'express', secure: _req.secure })
  })
  const server = await createServer(
    {
      domains: ['express.example.org'],
      home,
      acme: { directory: pebble.directoryUrl, caCert: pebble.listenerCaFile },
      https: { host: '127.0.0.1', port: pebble.tlsPort },
      http: { host: '127.0.0.1', port: pebble.httpPort },
      http2: false,
    },
    app,
  )
  await server.listen()
  t.after(() => server.close())
  const root = await pebble.rootFile(0)
  const r = await curl([
    '--resolve',
    `express.example.org:${pebble.tlsPort}:127.0.0.1`,
    '--cacert',
    root,
    `https://express.example.org:${pebble.tlsPort}/hello`,
  ])
  assert.equal(r.code, 0)
  assert.deepEqual(JSON.parse(r.stdout), { hello: 'express', secure: true })
  const untrusted = await curl([
    '--resolve',
    `express.example.org:${pebble.tlsPort}:127.0.0.1`,
    `https://express.example.org:${pebble.tlsPort}/hello`,
  ])
  assert.equal(untrusted.code, 60, 'without Pebble’s root the certificate is not trusted')
})
