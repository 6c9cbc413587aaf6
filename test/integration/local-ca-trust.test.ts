import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
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
import { LocalCa } from '../../src/local-ca/local-ca.js'
import { trust, trustName, untrust, type TrustStep } from '../../src/local-ca/trust-store.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'

/** Kills a hung certutil rather than waiting for the runner's timeout. */
const CERTUTIL_TIMEOUT_MS = 30_000

function certutil(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('certutil', args, { timeout: CERTUTIL_TIMEOUT_MS }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    )
  })
}

/** A fresh empty NSS database (what Chromium creates in ~/.pki/nssdb on first start). */
async function createNssDb(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true })
  const made = await certutil(['-N', '-d', `sql:${dir}`, '--empty-password'])
  assert.equal(made.code, 0, made.output)
}

/** A stand-in for update-ca-certificates / update-ca-trust that logs each run's arguments. */
function stubTool(dir: string, name: string, exitCode = 0): { path: string; runs: () => string[] } {
  const path = join(dir, name)
  const log = join(dir, `${name}.log`)
  writeFileSync(
    path,
    `#!/bin/sh\necho "run $*" >> '${log}'\necho "${name}: pretend failure" >&2\nexit ${exitCode}\n`,
  )
  chmodSync(path, 0o755)
  return {
    path,
    runs: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.trimEnd())
        : [],
  }
}

function only(steps: TrustStep[], store: TrustStep['store']): TrustStep {
  const found = steps.filter((s) => s.store === store)
  assert.equal(found.length, 1, JSON.stringify(steps))
  return found[0] as TrustStep
}

describe('trust stores', () => {
  let rootPem: string
  let work: string
  before(async () => {
    rootPem = (await LocalCa.load(new MemoryStorage())).rootCertificatePem
    work = mkdtempSync(join(tmpdir(), 'gatehouse-trust-test-'))
  })
  after(() => rmSync(work, { recursive: true, force: true }))
  const fresh = (name: string): string => {
    const dir = join(work, name)
    mkdirSync(dir, { recursive: true })
    return dir
  }

  test('Debian: writes gatehouse-<id>.crt, runs update-ca-certificates, is idempotent, untrust removes with --fresh', async () => {
    const root = fresh('debian')
    mkdirSync(join(root, 'usr/local/share/ca-certificates'), { recursive: true })
    const tool = stubTool(fresh('debian-bin'), 'update-ca-certificates')
    const options = { systemRoot: root, nss: false, commands: { updateCaCertificates: tool.path } }
    const file = join(root, `usr/local/share/ca-certificates/${trustName(rootPem)}.crt`)
    const added = only(await trust(rootPem, options), 'debian')
    assert.equal(added.status, 'done')
    assert.equal(added.message, `added to ${file}; ran update-ca-certificates`)
    assert.equal(readFileSync(file, 'utf8'), rootPem)
    assert.deepEqual(tool.runs(), ['run'])
    const again = only(await trust(rootPem, options), 'debian')
    assert.equal(again.status, 'skipped')
    assert.match(again.message, /^already in /)
    assert.deepEqual(tool.runs(), ['run'])
    const removed = only(await untrust(rootPem, options), 'debian')
    assert.equal(removed.status, 'done', removed.message)
    assert.equal(existsSync(file), false)
    assert.deepEqual(tool.runs(), ['run', 'run --fresh'])
    assert.equal(only(await untrust(rootPem, options), 'debian').status, 'skipped')
  })

  test('Fedora: writes the anchor .pem and runs update-ca-trust extract', async () => {
    const root = fresh('fedora')
    mkdirSync(join(root, 'etc/pki/ca-trust/source/anchors'), { recursive: true })
    const tool = stubTool(fresh('fedora-bin'), 'update-ca-trust')
    const options = { systemRoot: root, nss: false, commands: { updateCaTrust: tool.path } }
    const step = only(await trust(rootPem, options), 'fedora')
    assert.equal(step.status, 'done', step.message)
    const file = join(root, `etc/pki/ca-trust/source/anchors/${trustName(rootPem)}.pem`)
    assert.equal(readFileSync(file, 'utf8'), rootPem)
    assert.deepEqual(tool.runs(), ['run extract'])
    assert.equal(only(await untrust(rootPem, options), 'fedora').status, 'done')
    assert.equal(existsSync(file), false)
  })

  test('dry run, missing tool, failing tool and no known store are reported, not thrown', async () => {
    const root = fresh('edge')
    const dir = join(root, 'usr/local/share/ca-certificates')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `${trustName(rootPem)}.crt`)
    const ok = stubTool(fresh('edge-ok'), 'update-ca-certificates')
    const dry = only(
      await trust(rootPem, {
        systemRoot: root,
        nss: false,
        dryRun: true,
        commands: { updateCaCertificates: ok.path },
      }),
      'debian',
    )
    assert.equal(dry.status, 'dry-run')
    assert.equal(existsSync(file), false)
    assert.deepEqual(ok.runs(), [])

    const missing = only(
      await trust(rootPem, {
        systemRoot: root,
        nss: false,
        commands: { updateCaCertificates: join(root, 'nope') },
      }),
      'debian',
    )
    assert.equal(missing.status, 'failed')
    assert.match(missing.message, /not update-ca-certificates; apt-get install ca-certificates/)

    const broken = stubTool(fresh('edge-broken'), 'update-ca-certificates', 3)
    const failed = only(
      await trust(rootPem, {
        systemRoot: root,
        nss: false,
        commands: { updateCaCertificates: broken.path },
      }),
      'debian',
    )
    assert.equal(failed.status, 'failed')
    assert.match(
      failed.message,
      /update-ca-certificates failed: update-ca-certificates: pretend failure/,
    )

    const none = await trust(rootPem, { systemRoot: fresh('empty'), nss: false })
    assert.equal(none.length, 1)
    assert.equal(none[0]?.status, 'skipped')
    assert.match(none[0]?.message ?? '', /no system trust store this tool knows/)
  })

  test('NSS: certutil adds the root with C,, trust to a given database and removes it again', async () => {
    const db = fresh('nss-given')
    await createNssDb(db)
    const options = { system: false, nssDatabases: [db], home: fresh('nss-given-home') }
    const added = await trust(rootPem, options)
    assert.deepEqual(added, [
      {
        store: 'nss',
        target: `sql:${db}`,
        status: 'done',
        message: `added to NSS database sql:${db}`,
      },
    ])
    const listed = await certutil(['-L', '-d', `sql:${db}`])
    assert.match(listed.output, new RegExp(`${trustName(rootPem)}\\s+C,,`))
    const shown = await certutil(['-L', '-d', `sql:${db}`, '-n', trustName(rootPem), '-a'])
    assert.equal(shown.output.replace(/\r/g, '').trim(), rootPem.trim())
    assert.equal((await trust(rootPem, options))[0]?.status, 'skipped')
    const removed = await untrust(rootPem, options)
    assert.equal(removed[0]?.status, 'done', removed[0]?.message)
    assert.doesNotMatch((await certutil(['-L', '-d', `sql:${db}`])).output, /gatehouse-/)
    assert.equal((await untrust(rootPem, options))[0]?.status, 'skipped')
  })

  test('NSS: finds Chromium and Firefox databases under home; skips without certutil, with the install hint', async () => {
    const home = fresh('nss-home')
    await createNssDb(join(home, '.pki/nssdb'))
    await createNssDb(join(home, '.mozilla/firefox/abc.default-release'))
    mkdirSync(join(home, '.mozilla/firefox/no-db-profile'), { recursive: true })
    const steps = await trust(rootPem, { system: false, home })
    assert.deepEqual(
      steps.map((s) => [s.target, s.status]),
      [
        [`sql:${join(home, '.pki/nssdb')}`, 'done'],
        [`sql:${join(home, '.mozilla/firefox/abc.default-release')}`, 'done'],
      ],
    )
    const withoutCertutil = await untrust(rootPem, {
      system: false,
      home,
      commands: { certutil: join(home, 'nope') },
    })
    assert.equal(withoutCertutil.length, 2)
    for (const step of withoutCertutil) {
      assert.equal(step.status, 'skipped')
      assert.match(step.message, /libnss3-tools/)
    }
    assert.ok((await untrust(rootPem, { system: false, home })).every((s) => s.status === 'done'))
    const empty = await trust(rootPem, { system: false, home: fresh('nss-nothing') })
    assert.equal(empty[0]?.status, 'skipped')
    assert.match(empty[0]?.message ?? '', /no NSS databases/)
  })
})
