import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatalotToml } from '../helpers/gatehouse-config.js'
import { runGatehouse, type Run } from '../helpers/run-cli.js'

/** Runs the real binary in `cwd` with only the environment given. */
function gatehouse(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return runGatehouse(args, { cwd, env: { HOME: cwd, ...env }, timeoutMs: 30_000 })
}

const CHATALOT = chatalotToml({ proxy: '$APP' })

describe('gatehouse validate and gatehouse config, run as a process', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'))
    writeFileSync(join(dir, 'gatehouse.toml'), CHATALOT)
    writeFileSync(
      join(dir, 'bad.toml'),
      '[[site]]\nhosts = ["a.example.com"]\n\n[[site.route]]\nprox = "127.0.0.1:1"\n',
    )
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('validate: ./gatehouse.toml is found and "ok" printed with exit 0', async () => {
    const run = await gatehouse(['validate'], dir, { APP: '127.0.0.1:8081' })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, `ok (${join(dir, 'gatehouse.toml')}: 1 site, 2 routes)\n`)
  })

  test('validate: a bad file gives the file, line, key and suggestion on stderr and exit 2', async () => {
    const run = await gatehouse(['validate', '--config', 'bad.toml'], dir)
    assert.equal(run.code, 2)
    assert.equal(run.stdout, '')
    assert.equal(
      run.stderr,
      'gatehouse validate: unknown key `prox` in [[site.route]] at bad.toml:5, did you mean `proxy`?\n',
    )
  })

  test('validate: an unset variable, a missing --config file and a bad flag all exit 2', async () => {
    const unset = await gatehouse(['validate'], dir)
    assert.equal(unset.code, 2)
    assert.match(
      unset.stderr,
      /`site\[0\]\.route\[1\]\.proxy` at gatehouse\.toml:14: variable `\$APP` is not set/,
    )
    const named = await gatehouse(['validate'], dir, { GATEHOUSE_CONFIG: 'bad.toml' })
    assert.equal(named.code, 2)
    assert.match(named.stderr, / at bad\.toml:5, did you mean `proxy`\?/)
    const missing = await gatehouse(['validate', '--config', 'nope.toml'], dir)
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /cannot read configuration file nope\.toml: no such file/)
    const flag = await gatehouse(['validate', '--https-port', 'x'], dir, { APP: 'a:1' })
    assert.equal(flag.code, 2)
    assert.match(flag.stderr, /`https\.port` from --https-port: "x" is not allowed/)
    const json = await gatehouse(['validate', '--json', '--config', 'bad.toml'], dir)
    assert.equal(json.code, 2)
    const body = JSON.parse(json.stdout) as {
      ok: boolean
      error: { code: string; line: number; file: string }
    }
    assert.deepEqual(
      [body.ok, body.error.code, body.error.file, body.error.line],
      [false, 'ERR_CONFIG', 'bad.toml', 5],
    )
  })

  test('validate with no file at all: the embedded default is ok', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gatehouse-config-empty-'))
    try {
      const run = await gatehouse(['validate'], empty)
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.stdout, 'ok (no configuration file: the embedded default)\n')
      const shown = await gatehouse(['config', '--json'], empty)
      const { config } = JSON.parse(shown.stdout) as {
        config: { https: unknown; http: unknown; sites: unknown[] }
      }
      assert.deepEqual(
        [config.https, config.http, config.sites],
        [{ host: '127.0.0.1', port: 8443 }, { host: '127.0.0.1', port: 8080 }, []],
      )
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  test('config: each value with its source; flags over environment over file', async () => {
    const env = { APP: '127.0.0.1:8081', GATEHOUSE_HTTPS_PORT: '9443', GATEHOUSE_HTTP_PORT: '9080' }
    const run = await gatehouse(['config', '--http-port', '7080'], dir, env)
    assert.equal(run.code, 0, run.stderr)
    const line = (key: string): string | undefined =>
      run.stdout.split('\n').find((l) => l.trimStart().startsWith(`${key} =`))
    assert.match(line('email') ?? '', /^email = "ops@example\.com" +# file$/)
    assert.match(run.stdout, /\[https\]\nhost = "0\.0\.0\.0" +# default\nport = 9443 +# env\n/)
    assert.match(run.stdout, /\[http\]\nhost = "0\.0\.0\.0" +# default\nport = 7080 +# flag\n/)
    assert.match(line('max_body') ?? '', /^ {2}max_body = "110MB" +# file$/)
    assert.match(
      run.stdout,
      /path = "\/ws" +# file\n {2}proxy = "http:\/\/127\.0\.0\.1:8081" +# file\n/,
    )
    assert.match(run.stdout, /websocket_idle_timeout = "1d" +# default/)
  })

  test('config --json: the resolved configuration and the sources map', async () => {
    const run = await gatehouse(['config', '--json'], dir, {
      APP: '127.0.0.1:8081',
      GATEHOUSE_TLS_STAGING: 'true',
    })
    assert.equal(run.code, 0, run.stderr)
    const out = JSON.parse(run.stdout) as {
      config: {
        tls: { acmeDirectory: string }
        sites: { routes: { maxBodyBytes: number; upstreams: { url: string }[] }[] }[]
      }
      sources: Record<string, string>
    }
    assert.equal(out.config.tls.acmeDirectory, 'letsencrypt-staging')
    assert.equal(out.config.sites[0]?.routes[0]?.maxBodyBytes, 110_000_000)
    assert.deepEqual(out.config.sites[0]?.routes[1]?.upstreams, [{ url: 'http://127.0.0.1:8081' }])
    assert.equal(out.sources['tls.staging'], 'env')
    assert.equal(out.sources['site[0].route[0].max_body'], 'file')
    assert.equal(out.sources['site[0].route[1].max_body'], 'default')
  })

  test('--help and the command list name validate and config', async () => {
    const help = await gatehouse(['validate', '--help'], dir)
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--https-port VALUE +https\.port: HTTPS port/)
    const all = await gatehouse(['--help'], dir)
    assert.match(all.stdout, /\n {2}validate +check gatehouse\.toml/)
    assert.match(all.stdout, /\n {2}config +print the resolved configuration/)
  })
})
