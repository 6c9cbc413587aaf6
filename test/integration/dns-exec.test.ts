import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GatehouseError } from '../../src/errors.js'
import { ExecDnsProvider } from '../../src/issuance/dns/exec-provider.js'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-exec-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Writes an executable shell script and returns its path. */
function script(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

/** Whether `pid` runs; a zombie (killed, not yet reaped by whoever adopted it) counts as dead. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return false
  }
}

/** Polls `check` every 20 ms for at most 3 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.fail(`${what}: not true after 3 s`)
}

async function providerError(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof GatehouseError, String(err))
    return err
  }
  assert.fail('the provider call succeeded but should have failed')
}

test('runs `command present|cleanup <fqdn> <value>` with exact argv and the environment', async () => {
  const log = join(dir, 'argv.log')
  const path = script(
    'record.sh',
    `printf '%s|' "$#" "$@" "$GH_TOKEN" "\${EXEC_MODE-unset}" >> "${log}"; echo >> "${log}"`,
  )
  const provider = new ExecDnsProvider({ command: path, env: { GH_TOKEN: 'secret token' } })
  await provider.present('_acme-challenge.example.test.', 'VALUE-1')
  await provider.cleanup('_acme-challenge.example.test', 'VALUE 2; $(rm -rf /)')
  assert.deepEqual(readFileSync(log, 'utf8').split('\n'), [
    '3|present|_acme-challenge.example.test.|VALUE-1|secret token|unset|',
    // No shell: metacharacters arrive as text, and the fqdn gains its trailing dot.
    '3|cleanup|_acme-challenge.example.test.|VALUE 2; $(rm -rf /)|secret token|unset|',
    '',
  ])
})

test('a command containing spaces is one path, not a program plus arguments', async () => {
  mkdirSync(join(dir, 'my hooks'))
  const log = join(dir, 'spaces.log')
  const path = join(dir, 'my hooks', 'dns hook.sh')
  writeFileSync(path, `#!/bin/sh\necho "$1 $2" >> "${log}"\n`)
  chmodSync(path, 0o755)
  await new ExecDnsProvider({ command: path }).present('_acme-challenge.a.test.', 'v')
  assert.equal(readFileSync(log, 'utf8'), 'present _acme-challenge.a.test.\n')
})

test('a non-zero exit is ERR_DNS_PROVIDER with the exit code and the last line of stderr', async () => {
  const path = script('fail.sh', 'echo "calling API" >&2\necho "API said: zone locked" >&2\nexit 3')
  const err = await providerError(
    new ExecDnsProvider({ command: path }).present('_acme-challenge.example.test.', 'v'),
  )
  assert.equal(err.code, 'ERR_DNS_PROVIDER')
  assert.equal(
    err.message,
    `DNS exec provider "${path} present _acme-challenge.example.test." exited with code 3: API said: zone locked`,
  )
})

test('a program that runs too long is killed with everything it started', async () => {
  const pidFile = join(dir, 'child.pid')
  // The pid is written to a temporary name and renamed, so a reader never sees a half-written file.
  const path = script(
    'hang.sh',
    `sleep 30 &\necho $! > "${pidFile}.tmp"\nmv "${pidFile}.tmp" "${pidFile}"\nwait`,
  )
  const started = Date.now()
  const running = providerError(
    new ExecDnsProvider({ command: path, timeoutMs: 2000 }).cleanup('_acme-challenge.x.test.', 'v'),
  )
  // Under load the script may need a while to start: wait for its child before the kill can come.
  await until('the script started its child', () => existsSync(pidFile))
  const grandchild = Number(readFileSync(pidFile, 'utf8'))
  assert.ok(grandchild > 0)
  const err = await running
  assert.equal(err.code, 'ERR_DNS_PROVIDER')
  assert.match(
    err.message,
    /cleanup _acme-challenge\.x\.test\." did not finish in 2000 ms and was killed$/,
  )
  assert.ok(Date.now() - started < 10_000, 'the kill came well before the sleep would end')
  // An exiting process closes its pipes a moment before it turns into a zombie: allow that moment.
  await until("the script's own child was killed too", () => !alive(grandchild))
})

test('abort kills the program and rejects with ERR_ABORTED', async () => {
  const path = script('slow.sh', 'sleep 30')
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 200)
  const started = Date.now()
  await assert.rejects(
    new ExecDnsProvider({ command: path }).present('_acme-challenge.x.test.', 'v', {
      signal: controller.signal,
    }),
    { code: 'ERR_ABORTED' },
  )
  assert.ok(Date.now() - started < 5000)
})

test('a missing program is ERR_DNS_PROVIDER naming it', async () => {
  const missing = join(dir, 'does-not-exist.sh')
  const err = await providerError(
    new ExecDnsProvider({ command: missing }).present('_acme-challenge.x.test.', 'v'),
  )
  assert.equal(err.code, 'ERR_DNS_PROVIDER')
  assert.match(
    err.message,
    /does-not-exist\.sh present _acme-challenge\.x\.test\." could not start: .*ENOENT/,
  )
})

test('bad options are refused', () => {
  assert.throws(() => new ExecDnsProvider({ command: '' }), TypeError)
  assert.throws(
    () => new ExecDnsProvider({ command: 'x', timeoutMs: Number.NaN }),
    /timeoutMs must be a positive/,
  )
  assert.throws(() => new ExecDnsProvider({ comand: 'x' } as never), /did you mean "command"/)
})
