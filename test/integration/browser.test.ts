import { after, before, describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type GatehouseServer } from '../../src/server/create-server.js'
import type { RequestHandler } from '../../src/server/https-server-options.js'
import { CHROMIUM_FLAGS } from '../helpers/chromium.js'

/**
 * What a browser sees (issue 3 §7): headless Chromium loads a page served with a local-CA certificate
 * once the root is in the NSS database Chromium reads on Linux (`$HOME/.pki/nssdb`), and refuses it
 * before. The root gets there through `gatehouse ca trust`, the command users run.
 */

const BIN = new URL('../../../bin/gatehouse.js', import.meta.url).pathname
/** A page load on loopback takes about a second; a hung Chromium fails the test instead of the run. */
const CHROMIUM_TIMEOUT_MS = 60_000
/** Bounds certutil and the gatehouse CLI. */
const TOOL_TIMEOUT_MS = 30_000
/** Text only the app's page contains: present in the DOM dump means the page really loaded. */
const MARKER = 'gatehouse-browser-page'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs a command in its own process group and kills the whole group (Chromium forks a zygote, GPU and
 * renderer processes) on timeout or when the test ends.
 */
function runGroup(
  t: TestContext,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const kill = (): void => killGroup(child)
    t.after(kill)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(kill, CHROMIUM_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      kill()
      resolve({ code, stdout, stderr })
    })
  })
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // ESRCH: the group has already exited.
  }
}

function runTool(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: TOOL_TIMEOUT_MS }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** A user whose HOME holds an empty NSS database, as Chromium creates on its first start. */
async function freshUser(
  work: string,
  name: string,
): Promise<{ env: NodeJS.ProcessEnv; nssDb: string }> {
  const home = join(work, name)
  const nssDb = join(home, '.pki', 'nssdb')
  mkdirSync(nssDb, { recursive: true })
  const env = { PATH: process.env.PATH ?? '', HOME: home }
  const made = await runTool('certutil', ['-N', '--empty-password', '-d', `sql:${nssDb}`], env)
  assert.equal(made.code, 0, made.stderr)
  return { env, nssDb }
}

describe('headless Chromium against createServer() with a local-CA certificate', () => {
  let work: string
  let gatehouseHome: string
  let server: GatehouseServer
  let url: string
  const requests: string[] = []

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'gatehouse-browser-'))
    gatehouseHome = join(work, 'gatehouse')
    const app: RequestHandler = (req, res) => {
      requests.push(`HTTP/${req.httpVersion} ${req.url}`)
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(`<!doctype html><title>t</title><p id="m">${MARKER} ${req.url}</p>`)
    }
    server = await createServer(
      {
        domains: ['app.localhost'],
        home: gatehouseHome,
        https: { host: '127.0.0.1', port: 0 },
        http: { port: -1 },
      },
      app,
    )
    await server.listen()
    url = `https://app.localhost:${server.httpsPort}/hello?q=1`
  })
  after(async () => {
    await server.close()
    rmSync(work, { recursive: true, force: true })
  })

  /** `chromium --dump-dom URL` as the user `env` describes, with a profile of its own. */
  const dumpDom = (t: TestContext, env: NodeJS.ProcessEnv): Promise<Run> => {
    const profile = mkdtempSync(join(work, 'profile-'))
    return runGroup(
      t,
      'chromium',
      [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        // *.localhost resolves to loopback in Chromium anyway; the rule pins IPv4, where the server is.
        '--host-resolver-rules=MAP app.localhost 127.0.0.1',
        '--dump-dom',
        url,
      ],
      env,
    )
  }

  test('without the root in its NSS database, Chromium refuses the certificate and shows no page', async (t) => {
    const user = await freshUser(work, 'untrusting')
    const seen = requests.length
    const run = await dumpDom(t, user.env)
    assert.doesNotMatch(run.stdout, new RegExp(MARKER), run.stdout)
    // Chromium names the error, or logs only its number (-202 is CERT_AUTHORITY_INVALID in
    // net/base/net_error_list.h), depending on which of its processes reports first.
    assert.match(run.stderr, /ERR_CERT_AUTHORITY_INVALID|net_error -202\b/, run.stderr)
    assert.equal(requests.length, seen, 'no request reached the app over an untrusted connection')
  })

  test('after `gatehouse ca trust --nss-db`, Chromium loads the page over HTTP/2 with no certificate error', async (t) => {
    const user = await freshUser(work, 'trusting')
    const trusted = await runTool(
      process.execPath,
      [BIN, 'ca', 'trust', '--no-system', '--nss-db', user.nssDb, '--home', gatehouseHome],
      user.env,
    )
    assert.equal(trusted.code, 0, `${trusted.stdout}${trusted.stderr}`)
    assert.match(trusted.stdout, new RegExp(`added to NSS database sql:${user.nssDb}`))

    const run = await dumpDom(t, user.env)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`<p id="m">${MARKER} /hello\\?q=1</p>`), run.stderr)
    assert.doesNotMatch(run.stderr, /ERR_CERT_/)
    assert.ok(requests.includes('HTTP/2.0 /hello?q=1'), JSON.stringify(requests))
  })
})
