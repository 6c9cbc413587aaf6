import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPebble, type Pebble } from '../helpers/pebble.js'
import { opensslVerify } from '../helpers/openssl.js'
import { acmeFlags, runGatehouse, type Run } from '../helpers/run-cli.js'

/** Runs the real binary as a user would, with only the environment given. */
function gatehouse(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runGatehouse(args, { env: { HOME: process.env.HOME ?? '/tmp', ...env } })
}

describe('gatehouse CLI against real Pebble', () => {
  let pebble: Pebble
  let home: string
  let common: string[]
  before(async () => {
    pebble = await startPebble()
    home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
    common = [...acmeFlags(home, pebble.directoryUrl, pebble.listenerCaFile)]
  })
  after(async () => {
    await pebble?.stop()
    rmSync(home, { recursive: true, force: true })
  })

  test('certs obtain writes a certificate openssl verifies, keys 0600, folders 0700, and --export like certbot', async () => {
    const out = join(home, 'export')
    const run = await gatehouse([
      'certs',
      'obtain',
      'cli.example.test',
      'www.cli.example.test',
      '--http-port',
      `127.0.0.1:${pebble.httpPort}`,
      '--email',
      'ops@example.test',
      '--export',
      out,
      ...common,
    ])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /certificate for cli\.example\.test, www\.cli\.example\.test/)
    const root = await pebble.root(0)
    opensslVerify(readFileSync(join(out, 'fullchain.pem'), 'utf8'), root, {
      name: 'www.cli.example.test',
    })
    assert.deepEqual(readdirSync(out).sort(), [
      'cert.pem',
      'chain.pem',
      'fullchain.pem',
      'privkey.pem',
    ])
    assert.equal(statSync(join(out, 'privkey.pem')).mode & 0o777, 0o600)
    assert.equal(
      readFileSync(join(out, 'fullchain.pem'), 'utf8'),
      readFileSync(join(out, 'cert.pem'), 'utf8') + readFileSync(join(out, 'chain.pem'), 'utf8'),
    )
    const keyFiles = findFiles(home).filter((f) => f.endsWith('.key'))
    assert.ok(keyFiles.length >= 2, 'account key and certificate key are stored')
    for (const f of keyFiles) assert.equal(statSync(f).mode & 0o777, 0o600, f)
    for (const d of findDirs(join(home, 'acme'))) assert.equal(statSync(d).mode & 0o777, 0o700, d)
  })

  test('--json prints one JSON result; certs list finds it; environment variables work like flags', async () => {
    const env = {
      GATEHOUSE_HOME: home,
      GATEHOUSE_ACME_DIRECTORY: pebble.directoryUrl,
      GATEHOUSE_ACME_CA_CERT: pebble.listenerCaFile,
    }
    const run = await gatehouse(
      ['certs', 'obtain', '127.0.0.1', '--json', '--http-port', `127.0.0.1:${pebble.httpPort}`],
      env,
    )
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as {
      ok: boolean
      identifiers: { type: string; value: string }[]
      serialHex: string
    }
    assert.equal(result.ok, true)
    assert.deepEqual(result.identifiers, [{ type: 'ip', value: '127.0.0.1' }])
    const list = await gatehouse(['certs', 'list', '--json'], env)
    assert.equal(list.code, 0, list.stderr)
    const names = (
      JSON.parse(list.stdout) as { certificates: { name: string }[] }
    ).certificates.map((c) => c.name)
    assert.ok(names.includes('127.0.0.1') && names.includes('cli.example.test'), names.join(','))
  })

  test('certs revoke revokes with a reason, as Pebble records it', async () => {
    const obtained = await gatehouse([
      'certs',
      'obtain',
      'revoke.example.test',
      '--json',
      '--http-port',
      `127.0.0.1:${pebble.httpPort}`,
      ...common,
    ])
    assert.equal(obtained.code, 0, obtained.stderr)
    const { serialHex } = JSON.parse(obtained.stdout) as { serialHex: string }
    assert.equal((await pebble.certStatus(serialHex)).Status, 'Valid')
    const run = await gatehouse([
      'certs',
      'revoke',
      'revoke.example.test',
      '--reason',
      'keyCompromise',
      ...common,
    ])
    assert.equal(run.code, 0, run.stderr)
    const status = await pebble.certStatus(serialHex)
    assert.equal(status.Status, 'Revoked')
  })

  test('two obtains of the same name at once both succeed, one after the other, and storage stays whole', async () => {
    const args = [
      'certs',
      'obtain',
      'race.example.test',
      '--json',
      '--http-port',
      `127.0.0.1:${pebble.httpPort}`,
      ...common,
    ]
    // The HTTP-01 port can be bound once: the storage lock must serialise the two runs.
    const [a, b] = await Promise.all([gatehouse(args), gatehouse(args)])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    const serials = [a, b].map((r) => (JSON.parse(r.stdout) as { serialHex: string }).serialHex)
    assert.notEqual(serials[0], serials[1])
    const stored = findFiles(join(home, 'acme')).filter((f) => f.includes('race.example.test'))
    assert.deepEqual(stored.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort(), [
      'race.example.test.crt',
      'race.example.test.json',
      'race.example.test.key',
    ])
  })

  test('bad input: one clear line, the right exit code, nothing written', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'gatehouse-cli-bad-'))
    try {
      const cases: [string[], number, RegExp][] = [
        [['certs', 'obtain', 'exa mple.com'], 1, /invalid name "exa mple\.com"/],
        [
          ['certs', 'obtain', '*.example.com'],
          1,
          /wildcard can only be validated with the dns-01 challenge/,
        ],
        [['certs', 'obtain', 'https://example.com/'], 1, /without scheme, port or path/],
        [
          ['certs', 'obtain', 'a.example.com', '--key-type', 'ec521'],
          2,
          /--key-type must be one of ec256, ec384, rsa2048, rsa3072, rsa4096/,
        ],
        [
          ['certs', 'obtain', 'a.example.com', '--htp-port', '80'],
          2,
          /unknown option --htp-port; did you mean --http-port\?/,
        ],
        [['certs', 'obtain'], 2, /give at least one name/],
        [['certs', 'obtian'], 2, /unknown command.*did you mean certs obtain\?/],
        [
          ['certs', 'obtain', 'a.example.com', '--acme-directory', 'http://127.0.0.1:1/dir'],
          1,
          /must be an https: URL/,
        ],
        [['certs', 'obtain', 'a.example.com', '--challenge', 'dns-01'], 2, /needs --dns-provider/],
      ]
      for (const [args, code, pattern] of cases) {
        const run = await gatehouse([...args, '--home', fresh])
        assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`)
        assert.match(run.stderr, pattern, args.join(' '))
        assert.equal(
          run.stderr.trim().split('\n').length <= 2,
          true,
          `short error for ${args.join(' ')}: ${run.stderr}`,
        )
        assert.doesNotMatch(run.stderr, /at .*\.js:\d+/, 'no stack trace without --debug')
      }
      assert.deepEqual(readdirSync(fresh), [], 'nothing written for bad input')
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })

  test('an unreachable or malformed directory is one clear error and exit 1', async () => {
    const run = await gatehouse([
      'certs',
      'obtain',
      'a.example.test',
      '--home',
      home,
      '--acme-directory',
      'https://127.0.0.1:1/dir',
      '--http-port',
      '127.0.0.1:0',
    ])
    assert.equal(run.code, 1)
    assert.match(run.stderr, /127\.0\.0\.1:1/)
    assert.match(run.stderr, /ERR_ACME_NETWORK/)
  })

  test('--help and --version', async () => {
    const help = await gatehouse(['certs', 'obtain', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--preferred-chain NAME/)
    assert.match(help.stdout, /GATEHOUSE_ACME_DIRECTORY/)
    const version = await gatehouse(['--version'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
  })
})

function findFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? findFiles(join(dir, e.name)) : [join(dir, e.name)],
  )
}

function findDirs(dir: string): string[] {
  if (!existsSync(dir)) return []
  return [
    dir,
    ...readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => findDirs(join(dir, e.name))),
  ]
}
