import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { splitPemChain } from '../../src/crypto/pem.js'

/**
 * Verifies a leaf + chain PEM with the openssl CLI against `rootPem`, as an independent checker.
 * Returns openssl's output; throws with it when verification fails.
 */
export function opensslVerify(
  chainPem: string,
  rootPem: string,
  options: { name?: string; ip?: string } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-verify-'))
  try {
    const [leaf, ...rest] = splitPemChain(chainPem)
    writeFileSync(join(dir, 'leaf.pem'), leaf ?? '')
    writeFileSync(join(dir, 'chain.pem'), rest.join(''))
    writeFileSync(join(dir, 'root.pem'), rootPem)
    const args = ['verify', '-CAfile', join(dir, 'root.pem')]
    // OpenSSL 3 refuses an empty -untrusted file: pass it only when there are intermediates.
    if (rest.length > 0) args.push('-untrusted', join(dir, 'chain.pem'))
    if (options.name) args.push('-verify_hostname', options.name)
    if (options.ip) args.push('-verify_ip', options.ip)
    args.push(join(dir, 'leaf.pem'))
    return execFileSync('openssl', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `openssl x509 -noout -text` of the first certificate. */
export function opensslText(pem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], {
    input: pem,
    encoding: 'utf8',
    timeout: 30_000,
  })
}
