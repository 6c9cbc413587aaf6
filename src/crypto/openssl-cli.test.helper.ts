// Test-only: runs the openssl CLI as an independent checker. Not shipped (matches `*.test.*`).
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Kills a hung openssl rather than letting a test wait for the runner's timeout. */
const OPENSSL_TIMEOUT_MS = 30_000

/** Runs `openssl args…` in `cwd`; resolves with stdout+stderr, rejects with them on a non-zero exit. */
export function openssl(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      args,
      { cwd, timeout: OPENSSL_TIMEOUT_MS, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`))
        else resolve(stdout + stderr)
      },
    )
  })
}

/** Runs `body` with a fresh temporary directory that is removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-crypto-'))
  try {
    return await body(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Makes a CA and a leaf it signs with openssl: the leaf has the given serial (hex), SANs, and an AKI
 * equal to the CA's SKI. Returns the PEMs and the file paths inside `dir`.
 */
export async function makeOpensslChain(
  dir: string,
  options: { serialHex: string; san: string; leafCn?: string },
): Promise<{
  caPem: string
  leafPem: string
  leafKeyPath: string
  caKeyPath: string
  leafPath: string
}> {
  const { readFile, writeFile } = await import('node:fs/promises')
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir)
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=Test CA',
      '-days',
      '2',
      '-out',
      'ca.pem',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'subjectKeyIdentifier=hash',
    ],
    dir,
  )
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key'], dir)
  const subj = options.leafCn === undefined ? '/' : `/CN=${options.leafCn}`
  await openssl(['req', '-new', '-key', 'leaf.key', '-subj', subj, '-out', 'leaf.csr'], dir)
  await writeFile(
    join(dir, 'leaf.ext'),
    `subjectAltName=${options.san}\nauthorityKeyIdentifier=keyid:always\nbasicConstraints=CA:FALSE\n`,
  )
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${options.serialHex}`,
      '-days',
      '1',
      '-extfile',
      'leaf.ext',
      '-out',
      'leaf.pem',
    ],
    dir,
  )
  return {
    caPem: await readFile(join(dir, 'ca.pem'), 'utf8'),
    leafPem: await readFile(join(dir, 'leaf.pem'), 'utf8'),
    leafKeyPath: join(dir, 'leaf.key'),
    caKeyPath: join(dir, 'ca.key'),
    leafPath: join(dir, 'leaf.pem'),
  }
}
