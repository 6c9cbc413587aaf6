import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { splitPemChain } from '../../src/crypto/pem.js'
import { run as runFile, runGatehouse, type Run } from '../helpers/run-cli.js'

/** Runs `file args…` with only PATH and `env` (the HTTPS server under test lives in this process). */
function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runFile(file, args, { env })
}

describe('gatehouse ca and csr commands', () => {
  let work: string
  let home: string
  let env: Record<string, string>
  const gatehouse = (args: string[]): Promise<Run> => runGatehouse(args, { env })
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'gatehouse-local-ca-cli-'))
    home = join(work, 'home')
    // HOME points into the temp folder so NSS discovery never sees the real user's browsers.
    env = { HOME: join(work, 'user'), GATEHOUSE_HOME: home }
  })
  after(() => rmSync(work, { recursive: true, force: true }))

  test('ca issue writes NAME.crt (leaf + root) and NAME.key 0600 that a real HTTPS server serves to curl --cacert', async (t) => {
    const out = join(work, 'issued')
    const issued = await gatehouse(['ca', 'issue', 'app.localhost', '127.0.0.1', '--out', out])
    assert.equal(issued.code, 0, issued.stderr)
    assert.match(issued.stdout, /certificate for app\.localhost, 127\.0\.0\.1/)
    assert.equal(statSync(join(out, 'app.localhost.key')).mode & 0o777, 0o600)
    const fullchain = readFileSync(join(out, 'app.localhost.crt'), 'utf8')
    const rootFile = join(home, 'local-ca/root.crt')
    const rootPem = readFileSync(rootFile, 'utf8')
    const blocks = splitPemChain(fullchain)
    assert.equal(blocks.length, 2)
    assert.equal(blocks[1], splitPemChain(rootPem)[0])

    const server: Server = createServer(
      { cert: fullchain, key: readFileSync(join(out, 'app.localhost.key')) },
      (_req, res) => res.end('hello from the local CA\n'),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const port = (server.address() as AddressInfo).port
    const url = `https://app.localhost:${port}/`
    const resolveArg = `app.localhost:${port}:127.0.0.1`
    const trusted = await run('curl', [
      '-sS',
      '--max-time',
      '20',
      '--cacert',
      rootFile,
      '--resolve',
      resolveArg,
      url,
    ])
    assert.equal(trusted.code, 0, trusted.stderr)
    assert.equal(trusted.stdout, 'hello from the local CA\n')
    const byIp = await run('curl', [
      '-sS',
      '--max-time',
      '20',
      '--cacert',
      rootFile,
      `https://127.0.0.1:${port}/`,
    ])
    assert.equal(byIp.code, 0, byIp.stderr)
    // Without the root curl knows no issuer: exit 60, "SSL certificate problem".
    const untrusted = await run('curl', ['-sS', '--max-time', '20', '--resolve', resolveArg, url], {
      CURL_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
    })
    assert.equal(untrusted.code, 60, untrusted.stderr)
    assert.match(untrusted.stderr, /certificate/i)
  })

  test('ca issue refuses real names with ERR_INVALID_IDENTIFIER and exits 1; a missing name exits 2', async () => {
    const refused = await gatehouse(['ca', 'issue', 'example.com', '--out', join(work, 'refused')])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /cannot issue for "example\.com".*\[ERR_INVALID_IDENTIFIER\]/)
    const usage = await gatehouse(['ca', 'issue'])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /give at least one name/)
  })

  test('ca issue names files after the first name, mkcert style, for wildcards and IPv6', async () => {
    const out = join(work, 'names')
    const wild = await gatehouse(['ca', 'issue', '*.app.test', 'app.test', '--out', out])
    assert.equal(wild.code, 0, wild.stderr)
    const ip = await gatehouse(['ca', 'issue', '::1', '--out', out, '--days', '7', '--json'])
    assert.equal(ip.code, 0, ip.stderr)
    const result = JSON.parse(ip.stdout) as { names: string[]; notAfter: string }
    assert.deepEqual(result.names, ['::1'])
    const days = (Date.parse(result.notAfter) - Date.now()) / 86_400_000
    assert.ok(days > 6.9 && days <= 7, `${days} days`)
    assert.deepEqual(readdirSync(out).sort(), [
      '__1.crt',
      '__1.key',
      '_wildcard.app.test.crt',
      '_wildcard.app.test.key',
    ])
  })

  test('ca trust --no-system --nss-db adds the root to a real NSS database; ca untrust removes it', async () => {
    const db = join(work, 'nssdb')
    mkdirSync(db)
    const made = await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'])
    assert.equal(made.code, 0, made.stderr)
    const added = await gatehouse(['ca', 'trust', '--no-system', '--nss-db', db])
    assert.equal(added.code, 0, added.stderr)
    assert.match(added.stdout, /^Gatehouse Local CA [0-9a-f]{6} \(/)
    assert.match(added.stdout, new RegExp(`done +added to NSS database sql:${db}\\n`))
    const listed = await run('certutil', ['-L', '-d', `sql:${db}`])
    assert.match(listed.stdout, /gatehouse-[0-9a-f]{16}\s+C,,/)
    const json = await gatehouse(['ca', 'untrust', '--no-system', '--nss-db', db, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const result = JSON.parse(json.stdout) as { ok: boolean; steps: Array<{ status: string }> }
    assert.equal(result.ok, true)
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['done'],
    )
    assert.doesNotMatch((await run('certutil', ['-L', '-d', `sql:${db}`])).stdout, /gatehouse-/)
  })

  test('ca untrust with no CA in the home folder changes nothing and says so', async () => {
    const other = join(work, 'empty-home')
    const result = await gatehouse(['ca', 'untrust', '--home', other])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, `no local CA in ${other}; nothing to remove\n`)
  })

  test('csr writes NAME.key 0600 and a NAME.csr that openssl req -verify accepts, with every name', async () => {
    const out = join(work, 'csr')
    const made = await gatehouse([
      'csr',
      'www.example.com',
      'example.com',
      '192.0.2.7',
      '--out',
      out,
      '--key-type',
      'rsa2048',
    ])
    assert.equal(made.code, 0, made.stderr)
    assert.equal(statSync(join(out, 'www.example.com.key')).mode & 0o777, 0o600)
    const checked = await run('openssl', [
      'req',
      '-verify',
      '-noout',
      '-text',
      '-in',
      join(out, 'www.example.com.csr'),
    ])
    assert.equal(checked.code, 0, checked.stderr)
    assert.match(checked.stdout + checked.stderr, /verify OK/i)
    assert.match(checked.stdout, /DNS:www\.example\.com, DNS:example\.com, IP Address:192\.0\.2\.7/)
    assert.match(checked.stdout, /Public-Key: \(2048 bit\)/)
    const modulus = async (args: string[]): Promise<string> => (await run('openssl', args)).stdout
    assert.equal(
      await modulus(['req', '-noout', '-modulus', '-in', join(out, 'www.example.com.csr')]),
      await modulus(['rsa', '-noout', '-modulus', '-in', join(out, 'www.example.com.key')]),
    )
    const missing = await gatehouse(['csr', 'example.com'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /--out DIR/)
  })
})
