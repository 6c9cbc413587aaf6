import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBind, type Bind } from '../helpers/bind.js'
import { startPebble, type Pebble } from '../helpers/pebble.js'
import { runMain as run } from '../helpers/run-main.js'

const BIN = new URL('../../../bin/gatehouse.js', import.meta.url).pathname
const ZONE = 'doctor.test'

interface Check {
  check: string
  status: 'ok' | 'warn' | 'fail'
  message: string
  fix?: string
}

async function checks(argv: string[]): Promise<{ code: number; checks: Check[] }> {
  const res = await run(['doctor', ...argv, '--json'])
  assert.equal(res.stderr, '')
  return { code: res.code, checks: (JSON.parse(res.stdout) as { checks: Check[] }).checks }
}

function find(list: Check[], check: string): Check {
  const found = list.find((c) => c.check === check)
  assert.ok(found, `a ${check} line in ${JSON.stringify(list)}`)
  return found
}

function listen(server: Server | HttpsServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

describe('gatehouse doctor against a real BIND and Pebble', () => {
  let bind: Bind
  let pebble: Pebble
  let home: string
  let base: string[]
  let busy: Server
  let busyPort: number

  before(async () => {
    bind = await startBind({
      zones: [ZONE],
      records: {
        [ZONE]: [
          '@ IN CAA 0 issue "ca.example"',
          'ok IN A 127.0.0.1',
          'ok IN AAAA ::1',
          'denied IN A 127.0.0.2',
          'denied IN CAA 0 issue "other.example"',
          'noaddr IN TXT "no address here"',
          'wild IN A 127.0.0.1',
          'wild IN CAA 0 issuewild ";"',
          'wild IN CAA 0 issue "ca.example"',
          'crit IN A 127.0.0.1',
          'crit IN CAA 128 tbs "unknown"',
        ],
      },
    })
    pebble = await startPebble()
    home = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-'))
    busy = createServer()
    busyPort = await listen(busy)
    base = [
      '--home',
      home,
      '--acme-directory',
      pebble.directoryUrl,
      '--acme-ca-cert',
      pebble.listenerCaFile,
      '--dns-resolver',
      bind.address,
      '--caa-identity',
      'ca.example',
      '--http-port',
      '127.0.0.1:0',
      '--https-port',
      '127.0.0.1:0',
    ]
  })
  after(async () => {
    busy?.close()
    await bind?.stop()
    await pebble?.stop()
    rmSync(home, { recursive: true, force: true })
  })

  test('all well: one ok line per check, exit 0', async () => {
    const res = await run(['doctor', 'app.deep.doctor.test', ...base])
    assert.equal(res.code, 0, res.stdout + res.stderr)
    const lines = res.stdout.trimEnd().split('\n')
    assert.deepEqual(
      lines.map((l) => l.split(/ +/).slice(0, 2).join(' ')),
      ['ok home', 'ok acme', 'ok clock', 'ok dns', 'ok caa', 'ok port', 'ok port'],
    )
    assert.match(res.stdout, /^ok +dns +app\.deep\.doctor\.test resolves to 127\.0\.0\.1$/m)
    assert.match(
      res.stdout,
      /^ok +caa +CAA at doctor\.test lets ca\.example issue \(issue "ca\.example"\)$/m,
    )
    assert.match(
      res.stdout,
      new RegExp(`^ok +acme +${pebble.directoryUrl.replace(/[.]/g, '\\.')} answers`, 'm'),
    )
    const aaaa = await checks(['ok.doctor.test', ...base])
    assert.equal(find(aaaa.checks, 'dns').message, 'ok.doctor.test resolves to 127.0.0.1, ::1')
  })

  test('CAA: another CA only, issuewild ";" for a wildcard, a critical unknown tag: fail with the record to add', async () => {
    const denied = await checks(['denied.doctor.test', ...base])
    assert.equal(denied.code, 1)
    const caa = find(denied.checks, 'caa')
    assert.equal(caa.status, 'fail')
    assert.match(
      caa.message,
      /CAA at denied\.doctor\.test forbids ca\.example .*issue "other\.example"/,
    )
    assert.equal(caa.fix, 'add the record: denied.doctor.test. CAA 0 issue "ca.example"')
    assert.equal(find(denied.checks, 'dns').message, 'denied.doctor.test resolves to 127.0.0.2')

    const wild = await checks(['*.wild.doctor.test', ...base])
    assert.equal(wild.code, 1)
    assert.match(find(wild.checks, 'caa').message, /issuewild ";"/)
    assert.match(find(wild.checks, 'caa').fix ?? '', /CAA 0 issuewild "ca\.example"/)
    assert.match(find(wild.checks, 'dns').message, /wildcard: it needs the dns-01 challenge/)
    // The same RRset lets ca.example issue for the name itself: issuewild only governs wildcards.
    assert.equal(find((await checks(['wild.doctor.test', ...base])).checks, 'caa').status, 'ok')

    const crit = await checks(['crit.doctor.test', ...base])
    assert.match(find(crit.checks, 'caa').message, /critical unknown tag "tbs"/)
  })

  test('no address, and a resolver that does not answer: fail naming what to fix', async () => {
    const noaddr = await checks(['noaddr.doctor.test', ...base])
    assert.equal(noaddr.code, 1)
    const dns = find(noaddr.checks, 'dns')
    assert.equal(dns.status, 'fail')
    assert.match(dns.message, /noaddr\.doctor\.test has no A or AAAA record/)
    assert.match(dns.fix ?? '', /add an A \(and AAAA\) record/)
    // A port nobody answers DNS on: the lookups fail, which a CA treats as "do not issue".
    const dead = await checks([
      'ok.doctor.test',
      ...base,
      '--dns-resolver',
      `127.0.0.1:${busyPort}`,
    ])
    assert.equal(find(dead.checks, 'caa').status, 'fail')
    assert.match(find(dead.checks, 'caa').message, /looking up CAA for ok\.doctor\.test failed/)
  })

  test('ports: one in use fails with how to find the program; held by the running gatehouse is ok', async (t) => {
    const res = await checks(['ok.doctor.test', ...base, '--http-port', `127.0.0.1:${busyPort}`])
    assert.equal(res.code, 1)
    const port = find(res.checks, `port ${busyPort}`)
    assert.equal(port.status, 'fail')
    assert.match(port.message, new RegExp(`cannot bind 127\\.0\\.0\\.1:${busyPort}: in use`))
    assert.match(port.fix ?? '', new RegExp(`ss -ltnp 'sport = :${busyPort}'`))
    // A process whose command line names gatehouse stands in for `gatehouse serve`.
    const script = join(home, 'gatehouse-fake-serve.mjs')
    writeFileSync(script, 'setInterval(() => {}, 1000)\n')
    const fake = spawn(process.execPath, [script], { stdio: 'ignore' })
    t.after(() => fake.kill('SIGKILL'))
    writeFileSync(join(home, 'gatehouse.pid'), `${fake.pid}\n`)
    try {
      const held = await checks(['ok.doctor.test', ...base, '--http-port', `127.0.0.1:${busyPort}`])
      assert.equal(held.code, 0)
      assert.match(find(held.checks, `port ${busyPort}`).message, /held by the running gatehouse/)
    } finally {
      rmSync(join(home, 'gatehouse.pid'))
    }
  })

  test('port 80 without the capability (run as nobody): fail naming setcap and the sysctl', async (t) => {
    // ip_unprivileged_port_start is 1024 on this machine; as root, drop to nobody to lose the right.
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-nobody-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    chmodSync(dir, 0o777)
    const ca = join(dir, 'pebble-ca.pem')
    copyFileSync(pebble.listenerCaFile, ca)
    chmodSync(ca, 0o644)
    const args = [
      BIN,
      'doctor',
      '127.0.0.1',
      '--home',
      dir,
      '--acme-directory',
      pebble.directoryUrl,
    ]
    args.push('--acme-ca-cert', ca, '--http-port', '127.0.0.1:80', '--https-port', '127.0.0.1:0')
    const drop =
      process.getuid?.() === 0 ? ['--reuid=65534', '--regid=65534', '--clear-groups'] : []
    const [cmd, argv] =
      drop.length > 0 ? ['setpriv', [...drop, process.execPath, ...args]] : [process.execPath, args]
    const child = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 1, out)
    assert.match(
      out,
      /^fail +port 80 +cannot bind 127\.0\.0\.1:80: permission denied; fix: .*setcap cap_net_bind_service=\+ep .*ip_unprivileged_port_start=80/m,
    )
    assert.match(out, /^ok +dns +127\.0\.0\.1 is an IP address/m)
    assert.match(out, /^ok +home /m)
  })

  test('an untrusted ACME server, a skewed clock and an unusable home', async (t) => {
    const untrusted = await checks([
      'ok.doctor.test',
      ...base.filter((a) => a !== pebble.listenerCaFile && a !== '--acme-ca-cert'),
    ])
    const acme = find(untrusted.checks, 'acme')
    assert.equal(acme.status, 'fail')
    assert.match(acme.fix ?? '', /--acme-ca-cert/)

    // A directory server whose Date is 10 minutes ahead, naming its CAA identity in meta.
    const server = createHttpsServer(
      { key: readFileSync(pebble.listenerKeyFile), cert: readFileSync(pebble.listenerCaFile) },
      (_req, res) => {
        const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
        const directory = Object.fromEntries(
          ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'].map((k) => [
            k,
            `${origin}/${k}`,
          ]),
        )
        res.setHeader('date', new Date(Date.now() + 10 * 60_000).toUTCString())
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ ...directory, meta: { caaIdentities: ['other.example'] } }))
      },
    )
    const port = await listen(server)
    t.after(() => server.close())
    const noIdentity = base.filter((a) => a !== '--caa-identity' && a !== 'ca.example')
    const args = [...noIdentity, '--acme-directory', `https://127.0.0.1:${port}/dir`]
    const skewed = await checks(['denied.doctor.test', ...args])
    const clock = find(skewed.checks, 'clock')
    assert.equal(clock.status, 'warn')
    assert.match(clock.message, /this clock is (599|600|601) s behind the ACME server's/)
    assert.match(clock.fix ?? '', /timedatectl set-ntp true/)
    // The directory's caaIdentities name the CA: denied.doctor.test allows other.example.
    assert.equal(find(skewed.checks, 'caa').status, 'ok')
    assert.equal(skewed.code, 0, 'warnings alone do not fail')

    const file = join(home, 'a-file')
    writeFileSync(file, '')
    const badHome = await checks(['ok.doctor.test', ...base, '--home', join(file, 'home')])
    assert.equal(badHome.code, 1)
    assert.match(
      find(badHome.checks, 'home').message,
      /cannot be created: .*a-file is not a folder/,
    )
  })

  test('usage: no name is exit 2; --help names every check', async () => {
    const none = await run(['doctor', '--home', home])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /give the one name/)
    const help = await run(['help', 'doctor'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--dns-resolver HOST:PORT/)
    assert.match(help.stdout, /CAA \(RFC 8659\)/)
  })
})
