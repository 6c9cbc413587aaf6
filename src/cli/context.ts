import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { GatehouseError } from '../errors.js'
import { resolveDirectoryUrl } from '../manager/ca-directories.js'
import { FileStorage } from '../storage/file-storage.js'
import type { Storage } from '../storage/storage.js'
import type { FlagSpecs, ParsedArgs } from './args.js'

/** The streams and environment a command runs with; `main` gets them injected so tests need no process. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Aborted on SIGINT/SIGTERM by the binary. */
  signal?: AbortSignal
}

/** Options every command shares (issue: `--home`, `--acme-directory`, `--acme-ca-cert`, `--email`, `--debug`). */
export const COMMON_FLAGS: FlagSpecs = {
  home: {
    type: 'string',
    value: 'DIR',
    help: 'where the account and certificates are kept (default ~/.gatehouse)',
  },
  'acme-directory': {
    type: 'string',
    value: 'NAME|URL',
    help: 'letsencrypt, letsencrypt-staging or a directory URL (default letsencrypt)',
  },
  'acme-ca-cert': {
    type: 'string',
    value: 'FILE',
    help: "a PEM to trust for the ACME server's own HTTPS, added to the defaults",
  },
  email: { type: 'string', value: 'ADDR', help: 'contact address for the ACME account' },
  json: { type: 'boolean', help: 'print one JSON result on stdout' },
  debug: { type: 'boolean', help: 'print stack traces and protocol details' },
  help: { type: 'boolean', help: 'show this help' },
}

export interface CommonContext {
  home: string
  storage: Storage
  directoryUrl: string
  caCerts: string[]
  email: string | undefined
  json: boolean
  debug: boolean
}

export function commonContext(args: ParsedArgs, io: Io): CommonContext {
  const home = resolve(str(args, 'home') ?? join(io.env.HOME ?? homedir(), '.gatehouse'))
  const caFile = str(args, 'acme-ca-cert')
  const caCerts: string[] = []
  if (caFile) {
    let pem: string
    try {
      pem = readFileSync(caFile, 'utf8')
    } catch (err) {
      throw new GatehouseError(
        'ERR_CONFIG',
        `cannot read --acme-ca-cert ${caFile}: ${(err as Error).message}`,
        { cause: err },
      )
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new GatehouseError(
        'ERR_CONFIG',
        `--acme-ca-cert ${caFile} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
      )
    }
    caCerts.push(pem)
  }
  const email = str(args, 'email')
  if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    throw new GatehouseError(
      'ERR_CONFIG',
      `--email ${JSON.stringify(email)} is not an email address`,
    )
  }
  return {
    home,
    storage: new FileStorage({ root: home }),
    directoryUrl: resolveDirectoryUrl(str(args, 'acme-directory') ?? 'letsencrypt'),
    caCerts,
    email,
    json: args.flags.get('json') === true,
    debug: args.flags.get('debug') === true,
  }
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name)
  return typeof v === 'string' ? v : undefined
}

export function num(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name)
  return typeof v === 'number' ? v : undefined
}
