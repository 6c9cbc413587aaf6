import { test } from 'node:test'
import assert from 'node:assert/strict'
import { envNameOf, parseArgs, suggest, type FlagSpecs } from './args.js'

const specs: FlagSpecs = {
  'http-port': { type: 'string', help: '' },
  json: { type: 'boolean', help: '' },
  count: { type: 'number', help: '' },
  to: { type: 'string', multiple: true, help: '' },
  'key-type': { type: 'string', choices: ['ec256', 'rsa2048'], help: '' },
}

test('parseArgs(): forms, negation, multiples, positionals after --', () => {
  const a = parseArgs(
    ['x', '--http-port', '80', '--json', '--count=3', '--to', 'a', '--to=b', '--', '--not-a-flag'],
    specs,
    {},
  )
  assert.deepEqual(a.positionals, ['x', '--not-a-flag'])
  assert.equal(a.flags.get('http-port'), '80')
  assert.equal(a.flags.get('json'), true)
  assert.equal(a.flags.get('count'), 3)
  assert.deepEqual(a.flags.get('to'), ['a', 'b'])
  assert.equal(parseArgs(['--no-json'], specs, {}).flags.get('json'), false)
})

test('parseArgs(): flags win over GATEHOUSE_* environment; environment fills the rest', () => {
  const env = { GATEHOUSE_HTTP_PORT: '8080', GATEHOUSE_JSON: 'yes', GATEHOUSE_TO: 'a, b' }
  const a = parseArgs(['--http-port', '80'], specs, env)
  assert.equal(a.flags.get('http-port'), '80')
  assert.equal(a.sources.get('http-port'), 'flag')
  assert.equal(a.flags.get('json'), true)
  assert.equal(a.sources.get('json'), 'env')
  assert.deepEqual(a.flags.get('to'), ['a', 'b'])
  assert.equal(envNameOf('acme-ca-cert'), 'GATEHOUSE_ACME_CA_CERT')
})

test('parseArgs(): usage errors name the option and suggest the fix', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--htp-port', '1'], {}, /unknown option --htp-port; did you mean --http-port\?/],
    [['--http-port'], {}, /--http-port needs a value/],
    [['--count', 'x'], {}, /--count needs a whole number, not "x"/],
    [
      ['--key-type', 'ec255'],
      {},
      /--key-type must be one of ec256, rsa2048, not "ec255"; did you mean ec256\?/,
    ],
    [['--json=maybe'], {}, /--json is a switch/],
    [[], { GATEHOUSE_COUNT: '1.5' }, /GATEHOUSE_COUNT needs a whole number/],
    [['-x'], {}, /unknown option -x/],
  ]
  for (const [argv, env, pattern] of cases) {
    assert.throws(
      () => parseArgs(argv, specs, env),
      (err: Error & { code?: string }) => err.code === 'ERR_CONFIG' && pattern.test(err.message),
      argv.join(' '),
    )
  }
  assert.equal(suggest('zzzzzz', ['http-port']), '')
})
