import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { CertificateManager } from '../../src/manager/certificate-manager.js'
import { LocalCaIssuer } from '../../src/manager/local-ca-issuer.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import { CertificateCache } from '../../src/tls/certificate-cache.js'
import { startAcmeFront, type AcmeFront } from '../helpers/acme-front.js'
import { freePort } from '../helpers/ports.js'
import { startPebble, type Pebble } from '../helpers/pebble.js'
import { runMain as run } from '../helpers/run-main.js'

const DAY = 24 * 3600_000

interface Listed {
  name: string
  names: string[]
  source: string
  issuer?: string
  serialHex?: string
  notAfter?: string
  nextRenewal?: { at: string; reason: string; window?: { start: string; end: string } }
  lastError?: { message: string }
}

async function list(args: string[]): Promise<Listed[]> {
  const res = await run(['certs', 'list', '--json', ...args])
  assert.equal(res.code, 0, res.stderr)
  return (JSON.parse(res.stdout) as { certificates: Listed[] }).certificates
}

/** A stand-in for `gatehouse serve`: a process whose command line names gatehouse, counting SIGHUPs. */
async function fakeServer(dir: string): Promise<{ child: ChildProcess; hups: () => number }> {
  const script = join(dir, 'gatehouse-fake-serve.mjs')
  writeFileSync(
    script,
    "process.on('SIGHUP', () => console.log('HUP'))\nsetInterval(() => {}, 1000)\nconsole.log('ready')\n",
  )
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  for (let i = 0; i < 100 && !out.includes('ready'); i++) await once(child.stdout, 'data')
  writeFileSync(join(dir, 'gatehouse.pid'), `${child.pid}\n`)
  return { child, hups: () => out.split('\n').filter((l) => l === 'HUP').length }
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('certs list and certs renew against real Pebble (with ARI from a front)', () => {
  let pebble: Pebble
  let front: AcmeFront
  let home: string
  let common: string[]
  /** Where the standalone HTTP-01 listener answers Pebble. */
  let http: string[]
  const serials = new Map<string, { serialHex: string; certId: string }>()

  before(async () => {
    pebble = await startPebble()
    front = await startAcmeFront(pebble)
    home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-certs-'))
    common = [
      '--home',
      home,
      '--acme-directory',
      front.directoryUrl,
      '--acme-ca-cert',
      pebble.listenerCaFile,
    ]
    http = ['--http-port', `127.0.0.1:${pebble.httpPort}`]
    for (const names of [['due.example.test', 'www.due.example.test'], ['fresh.example.test']]) {
      const res = await run([
        'certs',
        'obtain',
        ...names,
        '--json',
        '--email',
        'ops@example.test',
        ...common,
        ...http,
      ])
      assert.equal(res.code, 0, res.stderr)
      const meta = JSON.parse(res.stdout) as { serialHex: string; certId: string }
      serials.set(names[0] ?? '', meta)
    }
  })
  after(async () => {
    await front?.close()
    await pebble?.stop()
    rmSync(home, { recursive: true, force: true })
  })

  test('renew: the due one (ARI window over) is renewed with replaces and a running server gets SIGHUP', async (t) => {
    const due = serials.get('due.example.test')
    const fresh = serials.get('fresh.example.test')
    assert.ok(due && fresh)
    const now = Date.now()
    front.setRenewalWindow({ start: new Date(now - 2 * DAY), end: new Date(now - DAY) }, due.certId)
    const later = { start: new Date(now + 40 * DAY), end: new Date(now + 41 * DAY) }
    front.setRenewalWindow(later, fresh.certId)
    const server = await fakeServer(home)
    t.after(() => server.child.kill('SIGKILL'))

    const res = await run(['certs', 'renew', ...common, ...http])
    assert.equal(res.code, 0, res.stderr)
    assert.match(
      res.stdout,
      new RegExp(
        `^renewed +due\\.example\\.test \\(serial [0-9a-f]+, replaces ${due.certId.replace(/[.-]/g, '\\$&')}\\)`,
        'm',
      ),
    )
    assert.match(
      res.stdout,
      /^not due +fresh\.example\.test; next renewal \S+ \S+ \(ARI window \S+\)$/m,
    )
    assert.match(
      res.stdout,
      new RegExp(`sent SIGHUP to the running server \\(pid ${server.child.pid}\\)`),
    )
    assert.deepEqual(front.replaces, [due.certId])
    await waitFor('the SIGHUP', () => server.hups() === 1)

    const listed = await list(common)
    const renewed = listed.find((c) => c.name === 'due.example.test')
    assert.ok(renewed)
    assert.notEqual(renewed.serialHex, due.serialHex, 'storage holds the new certificate')
    assert.deepEqual(renewed.names, ['due.example.test', 'www.due.example.test'], 'names kept')
    assert.equal(renewed.source, 'acme')
    assert.equal(renewed.nextRenewal?.reason, 'lifetime')
    const waiting = listed.find((c) => c.name === 'fresh.example.test')
    assert.equal(waiting?.nextRenewal?.reason, 'ari')
    assert.deepEqual(waiting?.nextRenewal?.window, {
      start: later.start.toISOString(),
      end: later.end.toISOString(),
    })

    const table = await run(['certs', 'list', ...common])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^NAMES +SOURCE +ISSUER +NOT AFTER +NEXT RENEWAL +LAST ERROR$/m)
    const day = (d: Date): string => d.toISOString().slice(0, 10)
    assert.match(
      table.stdout,
      new RegExp(
        `^fresh\\.example\\.test +acme +Pebble .*\\(ARI window ${day(later.start)}\\.\\.${day(later.end).slice(5)}\\) +-$`,
        'm',
      ),
    )
    assert.match(
      table.stdout,
      /^due\.example\.test,www\.due\.example\.test +acme .*\(2\/3 of lifetime\) +-$/m,
    )
  })

  test('renew NAME --force renews one that is not due; a stale pid file is reported, not signalled', async () => {
    const fresh = serials.get('fresh.example.test')
    assert.ok(fresh)
    writeFileSync(join(home, 'gatehouse.pid'), '999999\n')
    const res = await run(['certs', 'renew', 'fresh.example.test', '--force', ...common, ...http])
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout, /^renewed +fresh\.example\.test .*replaces/m)
    assert.doesNotMatch(res.stdout, /due\.example\.test/, 'only the name given')
    assert.equal(front.replaces.at(-1), fresh.certId)
    assert.match(res.stderr, /warning: server not reloaded: no process 999999 is running/)
    rmSync(join(home, 'gatehouse.pid'))
  })

  test('a failed renewal exits 1 and certs list shows the last error and the retry time', async () => {
    // Nothing answers HTTP-01 where Pebble connects: the authorization fails.
    const elsewhere = `127.0.0.1:${await freePort()}`
    const res = await run([
      'certs',
      'renew',
      'www.due.example.test',
      '--force',
      ...common,
      '--http-port',
      elsewhere,
    ])
    assert.equal(res.code, 1)
    assert.match(res.stdout, /^failed +due\.example\.test: .+/m)
    const listed = await list(common)
    const failed = listed.find((c) => c.name === 'due.example.test')
    assert.ok(failed?.lastError?.message, 'the error is recorded')
    assert.equal(failed.nextRenewal?.reason, 'retry')
    const table = await run(['certs', 'list', ...common])
    assert.match(
      table.stdout,
      /^due\.example\.test,www\.due\.example\.test .*\(retry after 1 failure\) +\d{4}-\d\d-\d\d \d\d:\d\dZ .+$/m,
    )
  })

  test('list shows local-CA, folder (refused ones with the reason) and explicit files; renew renews local-CA ones', async () => {
    const storage = new FileStorage({ root: home })
    const ca = await LocalCa.load(storage)
    const manager = new CertificateManager({
      storage,
      issuer: new LocalCaIssuer(ca),
      cache: new CertificateCache(),
      names: ['app.localhost'],
    })
    await manager.renewDue()
    await manager.stop()
    const dir = join(home, 'certificates')
    mkdirSync(dir, { recursive: true })
    const good = await ca.issue(['folder.test'])
    const other = await ca.issue(['other.test'])
    writeFileSync(join(dir, 'folder.test.crt'), good.leafPem)
    writeFileSync(join(dir, 'folder.test.key'), good.privateKeyPem)
    writeFileSync(join(dir, 'broken.test.crt'), good.leafPem)
    writeFileSync(join(dir, 'broken.test.key'), other.privateKeyPem)
    const files = join(home, 'files')
    mkdirSync(files)
    writeFileSync(join(files, 'site.crt'), other.leafPem)
    writeFileSync(join(files, 'site.key'), other.privateKeyPem)

    const listed = await list([
      ...common,
      '--tls-cert',
      join(files, 'site.crt'),
      '--tls-key',
      join(files, 'site.key'),
    ])
    const by = (name: string): Listed | undefined => listed.find((c) => c.name === name)
    assert.equal(by('app.localhost')?.source, 'local-ca')
    assert.match(by('app.localhost')?.issuer ?? '', /Gatehouse/i)
    assert.equal(by('app.localhost')?.nextRenewal?.reason, 'lifetime')
    assert.equal(by('folder.test')?.source, 'folder')
    assert.equal(by('folder.test')?.lastError, undefined)
    assert.match(
      by('broken.test')?.lastError?.message ?? '',
      /broken\.test\.key is not the key of broken\.test\.crt/,
    )
    assert.equal(by('other.test')?.source, 'file')
    assert.deepEqual(by('other.test')?.names, ['other.test'])

    const before = by('app.localhost')?.serialHex
    const res = await run(['certs', 'renew', 'app.localhost', '--force', ...common])
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout, /^renewed +app\.localhost/m)
    const after = (await list(common)).find((c) => c.name === 'app.localhost')
    assert.notEqual(after?.serialHex, before)

    const unknown = await run(['certs', 'renew', 'nothing.example.test', ...common])
    assert.equal(unknown.code, 1)
    assert.match(
      unknown.stderr,
      /no stored certificate covers nothing\.example\.test.*see gatehouse certs list/,
    )
  })
})
