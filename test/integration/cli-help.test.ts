import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VERSION } from '../../src/version.js'
import { runMain as run } from '../helpers/run-main.js'

/** The commands `gatehouse --help` lists, so a command added later is covered without editing this. */
async function commands(): Promise<string[]> {
  const usage = await run(['--help'])
  assert.equal(usage.code, 0)
  const block = usage.stdout.split('commands:\n')[1]?.split('\n\n')[0] ?? ''
  const names = block.split('\n').map((l) => /^ {2}(\S+(?: [a-z][a-z-]*)?) {2,}/.exec(l)?.[1])
  return names.filter((n): n is string => n !== undefined)
}

test('--version, -V and -v print the version alone, exit 0', async () => {
  for (const flag of ['--version', '-V', '-v']) {
    const res = await run([flag])
    assert.equal(res.code, 0)
    assert.equal(res.stdout, `${VERSION}\n`)
  }
})

test('every command answers --help, -h and `gatehouse help CMD` with its usage, exit 0', async () => {
  const names = await commands()
  for (const expected of ['certs list', 'certs renew', 'doctor', 'certs obtain']) {
    assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`)
  }
  for (const name of names) {
    const words = name.split(' ')
    for (const argv of [
      [...words, '--help'],
      [...words, '-h'],
      ['help', ...words],
    ]) {
      const res = await run(argv)
      assert.equal(res.code, 0, `${argv.join(' ')}: ${res.stderr}`)
      assert.match(res.stdout, new RegExp(`^usage: gatehouse ${name}\\b`), argv.join(' '))
      assert.equal(res.stderr, '', argv.join(' '))
    }
  }
})

test('a group alone lists its commands: exit 0 with --help, 2 without', async () => {
  const help = await run(['certs', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^usage: gatehouse certs <command>/)
  assert.match(help.stdout, /^ {2}certs renew +renew/m)
  const bare = await run(['certs'])
  assert.equal(bare.code, 2)
  assert.match(bare.stderr, /^ {2}certs list /m)
  assert.equal((await run(['help'])).code, 0)
  assert.equal((await run([])).code, 2)
})

test('exit codes: unknown command or option 2 with a suggestion, a failure 1', async () => {
  const unknown = await run(['docter', 'x'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /did you mean doctor\?/)
  const option = await run(['certs', 'renew', '--forse'])
  assert.equal(option.code, 2)
  assert.match(option.stderr, /unknown option --forse; did you mean --force\?/)
  const helpUnknown = await run(['help', 'nope'])
  assert.equal(helpUnknown.code, 2)
  const failure = await run(['certs', 'list', '--acme-directory', 'http://insecure.example/dir'])
  assert.equal(failure.code, 1)
  assert.match(failure.stderr, /must be an https: URL/)
})
