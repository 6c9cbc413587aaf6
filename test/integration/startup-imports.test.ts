import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/temp-dir.js'

// Start-up cost: undici and @peculiar/x509 take ~0.2 s of CPU each to load, so paths that do not need
// them must not import them. A module-resolve hook in the child records every package it loads.
const run = promisify(execFile)
const HEAVY = /node_modules\/(undici|@peculiar\/x509)\//

async function packagesLoaded(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string[]> {
  const log = join(dir, 'loaded.txt')
  writeFileSync(log, '')
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n')
  return result
}`,
  )
  const register = join(dir, 'register.mjs')
  writeFileSync(
    register,
    `import { register } from 'node:module'\nregister(${JSON.stringify(`file://${hooks}`)})`,
  )
  await run(process.execPath, ['--import', register, ...args], {
    env: { PATH: process.env.PATH ?? '', GATEHOUSE_HOME: join(dir, 'home'), ...env },
    timeout: 60_000,
  })
  const heavy = readFileSync(log, 'utf8')
    .split('\n')
    .map((url) => HEAVY.exec(url)?.[1])
    .filter((name): name is string => name !== undefined)
  return [...new Set(heavy)].sort()
}

test('gatehouse --help loads neither undici nor @peculiar/x509', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  assert.deepEqual(await packagesLoaded(dir, [resolve('bin/gatehouse.js'), '--help']), [])
})

test('gatehouse ca issue loads @peculiar/x509 (it builds a certificate) but not undici', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  const args = [
    resolve('bin/gatehouse.js'),
    'ca',
    'issue',
    'a.localhost',
    '--out',
    join(dir, 'out'),
  ]
  assert.deepEqual(await packagesLoaded(dir, args), ['@peculiar/x509'])
})

test('importing the HTTPS server and the ACME client loads neither until they are used', async (t) => {
  const dir = tempDir(t, 'gatehouse-imports')
  const script = `await import(${JSON.stringify(resolve('build/src/server/https-server.js'))})
const { AcmeClient } = await import(${JSON.stringify(resolve('build/src/acme/client.js'))})
const { generateKeyPairSync } = await import('node:crypto')
const accountKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
await new AcmeClient({ directoryUrl: 'https://127.0.0.1:1/dir', accountKey }).close()`
  assert.deepEqual(await packagesLoaded(dir, ['--input-type=module', '-e', script]), [])
})
