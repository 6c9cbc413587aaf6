import { readFile } from 'node:fs/promises'
import type { KeyType } from '../crypto/keys.js'
import { GatehouseError } from '../errors.js'
import type { ChallengeSolver, ChallengeType } from '../issuance/challenge-solver.js'
import type { ChallengeStore } from '../issuance/challenge-store.js'
import type { Http01Responder } from '../issuance/http-01-responder.js'
import { Http01InProcessSolver, TlsAlpn01InProcessSolver } from '../issuance/in-process-solvers.js'
import type { TlsAlpnResponder } from '../issuance/tls-alpn-01-responder.js'
import { resolveDirectoryUrl } from '../manager/ca-directories.js'
import type { Storage } from '../storage/storage.js'
import { LazyAcmeIssuer } from './lazy-acme-issuer.js'

/** The ACME settings of createServer()'s `acme` options and of gatehouse.toml's `[tls]`. */
export interface AcmeSettings {
  /** `letsencrypt`, `letsencrypt-staging` or a directory URL. */
  directory: string
  /** Path of a PEM to trust for the CA's own HTTPS (a test CA such as Pebble). */
  caCert?: string | undefined
  /** ACME account contact. */
  email?: string | undefined
  eab?: { kid: string; hmacKey: string } | undefined
  profile?: string | undefined
  keyType?: KeyType | undefined
}

/** The issuer for the CA `settings` names; it signs in at first use (see LazyAcmeIssuer). */
export async function createAcmeIssuer(
  storage: Storage,
  settings: AcmeSettings,
  solvers: readonly ChallengeSolver[],
): Promise<LazyAcmeIssuer> {
  const { caCert, email, eab, profile, keyType } = settings
  return new LazyAcmeIssuer({
    storage,
    directoryUrl: resolveDirectoryUrl(settings.directory),
    caCerts: caCert ? [await readCaFile(caCert)] : [],
    solvers,
    ...(email ? { email } : {}),
    ...(eab ? { eab } : {}),
    ...(profile ? { profile } : {}),
    ...(keyType ? { keyType } : {}),
  })
}

export async function readCaFile(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((err: Error) => {
    throw new GatehouseError('ERR_CONFIG', `cannot read acme.caCert ${file}: ${err.message}`, {
      cause: err,
    })
  })
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new GatehouseError('ERR_CONFIG', `acme.caCert ${file} holds no PEM certificate`)
  return pem
}

export interface InProcessSolversOptions {
  http01: Http01Responder
  tlsAlpn: TlsAlpnResponder
  /** The HTTP listener's port; -1: there is none, so no HTTP-01. */
  httpPort: number | undefined
  /** The HTTPS listener's port; -1: there is none, so no TLS-ALPN-01. */
  httpsPort: number | undefined
  /** The challenge types allowed. Default: both. */
  challenges?: readonly ChallengeType[]
  /** Where answers are shared with other processes (see ChallengeStore). Default: none. */
  store?: ChallengeStore | undefined
}

/** The challenges the server's own listeners answer: HTTP-01 on HTTP, TLS-ALPN-01 on HTTPS. */
export function inProcessSolvers(o: InProcessSolversOptions): ChallengeSolver[] {
  const allowed = o.challenges ?? ['http-01', 'tls-alpn-01']
  const store = o.store ? { store: o.store } : {}
  const solvers: ChallengeSolver[] = []
  if (o.httpPort !== -1 && allowed.includes('http-01'))
    solvers.push(new Http01InProcessSolver(o.http01, store))
  if (o.httpsPort !== -1 && allowed.includes('tls-alpn-01'))
    solvers.push(new TlsAlpn01InProcessSolver(o.tlsAlpn, store))
  return solvers
}
