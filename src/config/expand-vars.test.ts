import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ExpandError, expandVars } from './expand-vars.js'

const env: Record<string, string> = { HOME: '/home/ops', PORT: '8080', EMPTY: '', A_1: 'x' }
const lookup = (name: string): string | undefined => env[name]

test('expandVars replaces $VAR and ${VAR}, keeps $$ as a dollar, and uses ${VAR:-fallback}', () => {
  const cases: [string, string][] = [
    ['no dollars', 'no dollars'],
    ['$HOME/certs', '/home/ops/certs'],
    ['${HOME}/certs', '/home/ops/certs'],
    ['127.0.0.1:$PORT', '127.0.0.1:8080'],
    ['${PORT}0', '80800'],
    ['$A_1-y', 'x-y'],
    ['[$EMPTY]', '[]'],
    ['price: $$5', 'price: $5'],
    ['$$HOME', '$HOME'],
    ['$$$HOME', '$/home/ops'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${PORT:-9}', '8080'],
    ['${UNSET:-}', ''],
    ['$HOME$PORT', '/home/ops8080'],
  ]
  for (const [input, out] of cases) assert.equal(expandVars(input, lookup), out, input)
})

test('expandVars refuses unset variables by name and lone dollars', () => {
  const cases: [string, RegExp, string | undefined][] = [
    ['$UNSET/x', /variable `\$UNSET` is not set/, 'UNSET'],
    ['${UNSET}', /variable `\$UNSET` is not set; set it, give a fallback/, 'UNSET'],
    ['cost $5', /a lone `\$` at character 6/, undefined],
    ['end $', /a lone `\$`/, undefined],
    ['${unclosed', /a lone `\$`/, undefined],
    ['${1X}', /a lone `\$`/, undefined],
  ]
  for (const [input, message, variable] of cases) {
    assert.throws(
      () => expandVars(input, lookup),
      (err: Error) =>
        err instanceof ExpandError && message.test(err.message) && err.variable === variable,
      input,
    )
  }
})
