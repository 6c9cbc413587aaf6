import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/temp-dir.js'

// `gatehouse ca trust` / `untrust` against the real Debian store (update-ca-certificates, curl and
// openssl reading /etc/ssl/certs), without changing this machine: each scenario runs in a private
// mount namespace (unshare -m) where the store folders are bind mounts of temporary copies. The
// ca-certificates hooks are hidden too: Debian's jks-keystore hook would queue a dpkg trigger.
const run = promisify(execFile)
const CLI = resolve('bin/gatehouse.js')
const STORE = ['/usr/local/share/ca-certificates', '/etc/ssl/certs']

/** A digest of the real store (names, link targets, bundle), to show the test left it alone. */
function storeDigest(): string {
  const h = createHash('sha256')
  for (const dir of STORE) h.update(`${dir}:${readdirSync(dir).sort().join(',')}\n`)
  h.update(readFileSync('/etc/ssl/certs/ca-certificates.crt'))
  return h.digest('hex')
}

/** Runs `steps` (shell) as root in a mount namespace whose trust store is a throwaway copy. */
async function inPrivateStore(work: string, steps: string): Promise<string> {
  const script = `set -eu
    cp -a /usr/local/share/ca-certificates "${work}/local" && cp -a /etc/ssl/certs "${work}/certs"
    cp /etc/ca-certificates.conf "${work}/ca-certificates.conf" && mkdir "${work}/hooks"
    mount --bind "${work}/local" /usr/local/share/ca-certificates
    mount --bind "${work}/certs" /etc/ssl/certs
    mount --bind "${work}/ca-certificates.conf" /etc/ca-certificates.conf
    mount --bind "${work}/hooks" /etc/ca-certificates/update.d
    ${steps}`
  const { stdout } = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    timeout: 120_000,
    env: { ...process.env, GATEHOUSE_HOME: join(work, 'home') },
  })
  return stdout
}

function serve(cert: string, key: string): Promise<Server> {
  const server = createServer({ cert, key }, (_req, res) => res.end('trusted'))
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)))
}

test('ca trust adds the root to the Debian system store (openssl, curl trust it); ca untrust removes it', async (t) => {
  const work = tempDir(t, 'gatehouse-sysstore')
  const before = storeDigest()
  const out = join(work, 'out')
  await run(process.execPath, [CLI, 'ca', 'issue', 'app.localhost', '--out', out], {
    env: { ...process.env, GATEHOUSE_HOME: join(work, 'home') },
  })
  const leaf = join(out, 'app.localhost.crt')
  const server = await serve(
    readFileSync(leaf, 'utf8'),
    readFileSync(join(out, 'app.localhost.key'), 'utf8'),
  )
  t.after(() => server.close())
  const port = (server.address() as { port: number }).port
  // Each check prints "<label> <exit code>": openssl verify with only the system CApath; curl with
  // its default trust (the Debian bundle), no --cacert.
  const check = (label: string) => `
    openssl x509 -in "${leaf}" -out "${work}/leaf-only.pem"
    openssl verify -CApath /etc/ssl/certs "${work}/leaf-only.pem" >/dev/null 2>&1 && echo "${label}-openssl 0" || echo "${label}-openssl $?"
    curl -s --max-time 20 --resolve app.localhost:${port}:127.0.0.1 https://app.localhost:${port}/ >/dev/null && echo "${label}-curl 0" || echo "${label}-curl $?"`
  const stdout = await inPrivateStore(
    work,
    `${check('before')}
    node "${CLI}" ca trust --no-nss > "${work}/trust.txt"
    ls /usr/local/share/ca-certificates
    ${check('trusted')}
    node "${CLI}" ca untrust --no-nss > "${work}/untrust.txt"
    ${check('untrusted')}
    ls /usr/local/share/ca-certificates`,
  )
  const result = (label: string) => stdout.match(new RegExp(`^${label} (\\d+)$`, 'm'))?.[1]
  assert.equal(result('before-openssl'), '2', stdout)
  assert.equal(result('before-curl'), '60', stdout)
  assert.equal(result('trusted-openssl'), '0', stdout)
  assert.equal(result('trusted-curl'), '0', stdout)
  assert.equal(result('untrusted-openssl'), '2', stdout)
  assert.equal(result('untrusted-curl'), '60', stdout)
  assert.equal(stdout.match(/gatehouse-[0-9a-f]{16}\.crt/g)?.length, 1, stdout)
  assert.match(
    readFileSync(join(work, 'trust.txt'), 'utf8'),
    /usr\/local\/share\/ca-certificates\/gatehouse-/,
  )
  assert.equal(storeDigest(), before, 'the real trust store was changed')
})
