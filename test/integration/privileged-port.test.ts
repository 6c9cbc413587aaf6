import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// Tests run as root, which may bind any port: the server is started by a child process that drops to
// `nobody` (uid/gid 65534) with setpriv, so the kernel refuses ports below
// net.ipv4.ip_unprivileged_port_start exactly as it would for a user.
const NOBODY = 65534
const createServerJs = resolve('build/src/server/create-server.js')

function listenAsNobody(
  home: string,
  https: number,
  http: number,
): { code: string; message: string } {
  const script = `
    const { createServer } = await import(${JSON.stringify(createServerJs)})
    const server = await createServer({
      domains: ['app.localhost'], home: ${JSON.stringify(home)},
      https: { host: '127.0.0.1', port: ${https} }, http: { host: '127.0.0.1', port: ${http} },
    }, (req, res) => res.end('x'))
    try { await server.listen(); console.log(JSON.stringify({ code: 'listening', message: '' })) }
    catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })) }
    finally { await server.close() }`
  const res = spawnSync(
    'setpriv',
    [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      '--clear-groups',
      process.execPath,
      '--input-type=module',
      '-e',
      script,
    ],
    { encoding: 'utf8', timeout: 30_000, cwd: home },
  )
  assert.equal(res.status, 0, `child failed: ${res.stderr}`)
  return JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '') as { code: string; message: string }
}

function nobodyHome(t: { after(fn: () => void): void }): string {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-lowport-'))
  chownSync(home, NOBODY, NOBODY)
  t.after(() => rmSync(home, { recursive: true, force: true }))
  return home
}

test('an unprivileged HTTPS bind below 1024 names setcap and the sysctl', (t) => {
  const { code, message } = listenAsNobody(nobodyHome(t), 443, -1)
  assert.equal(code, 'ERR_CONFIG')
  assert.match(message, /^cannot bind HTTPS to 127\.0\.0\.1:443: permission denied; /)
  assert.ok(message.includes(`sudo setcap cap_net_bind_service=+ep ${process.execPath}`), message)
  assert.ok(message.includes('sudo sysctl net.ipv4.ip_unprivileged_port_start=443'), message)
  assert.doesNotMatch(message, /\n/)
})

test('an unprivileged HTTP bind below 1024 is reported for the HTTP listener', (t) => {
  const { code, message } = listenAsNobody(nobodyHome(t), 0, 80)
  assert.equal(code, 'ERR_CONFIG')
  assert.match(
    message,
    /^cannot bind HTTP to 127\.0\.0\.1:80: permission denied; run `sudo setcap /,
  )
})

test('the same unprivileged user binds a port above 1023 (the failure above is the port, not the user)', (t) => {
  assert.deepEqual(listenAsNobody(nobodyHome(t), 0, 0), { code: 'listening', message: '' })
})
