import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { silentLogger } from '../../src/logger.js'
import { createGateway } from '../../src/proxy/gateway.js'
import { startGatehouse } from '../../src/serve/start-gatehouse.js'
import { curl } from '../helpers/curl.js'
import { startUpstream } from '../helpers/upstream.js'

test('[tls.on_demand] in serve: an allowed name gets a certificate at its first handshake; names outside allow do not', async (t) => {
  const up = await startUpstream('tenant')
  t.after(() => up.close())
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-serve-ondemand-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const text = `home = ${JSON.stringify(home)}
[https]
host = "127.0.0.1"
port = 0
[http]
port = -1
[log]
access_log = "off"
[tls.on_demand]
allow = ["*.dyn.test"]
[[site]]
hosts = ["other.test"]
[[site.route]]
path = "/"
proxy = "127.0.0.1:${up.port}"
`
  const { config } = resolveConfig({
    file: { name: 'gatehouse.toml', path: join(home, 'gatehouse.toml'), text },
    cwd: home,
    userHome: home,
    cpus: 1,
  })
  const gh = await startGatehouse(config, { logger: silentLogger, createGateway })
  t.after(() => gh.close())
  const port = gh.httpsPort ?? 0
  const get = (host: string): ReturnType<typeof curl> =>
    curl([
      '--resolve',
      `${host}:${port}:127.0.0.1`,
      '--cacert',
      join(home, 'local-ca/root.crt'),
      `https://${host}:${port}/p`,
    ])
  // No site answers a.dyn.test, but [tls.on_demand] allows it: the handshake gets a certificate
  // obtained there and then (curl verifies it), and the gateway answers for an unknown host.
  const onDemand = await get('a.dyn.test')
  assert.equal(onDemand.code, 0, 'TLS with an on-demand certificate')
  assert.deepEqual(
    await get('other.test'),
    { code: 0, stdout: 'tenant GET /p\n' },
    'configured name',
  )
  const refused = await get('x.elsewhere.test')
  assert.notEqual(refused.code, 0, 'a name outside allow gets no certificate curl accepts')
  const names = gh.status().certificates.flatMap((c) => c.names)
  assert.ok(names.includes('a.dyn.test'), JSON.stringify(names))
  assert.ok(!names.includes('x.elsewhere.test'))
  assert.deepEqual(gh.status().managedNames, ['other.test'])
})
