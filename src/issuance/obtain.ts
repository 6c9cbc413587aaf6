import type { KeyObject } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { AcmeClient } from '../acme/client.js'
import { formatProblem, isAcmeProblem } from '../acme/problem.js'
import type { Identifier, OrderResource } from '../acme/types.js'
import { GatehouseError, throwIfAborted } from '../errors.js'
import { createCsr } from '../crypto/csr.js'
import { exportPrivateKeyPem, generateKey, type KeyType } from '../crypto/keys.js'
import { AuthorizationError } from './authorization-error.js'
import type { ChallengeSolver } from './challenge-solver.js'
import { solveAuthorizations } from './solve-authorizations.js'
import { checkSolvable } from './check-solvable.js'

/** A step of {@link obtain}, reported as it finishes, with how long it took. */
export type ObtainProgress =
  | { step: 'order'; ms: number; orderUrl: string; status: OrderResource['status'] }
  | {
      step: 'challenge'
      ms: number
      identifier: Identifier
      challengeType: string
      reused: boolean
    }
  | { step: 'finalize'; ms: number }
  | { step: 'download'; ms: number }
  | { step: 'replaces-dropped'; ms: number; replaces: string; reason: string }

export interface ObtainOptions {
  /** An ACME client whose account exists (see `ensureAccount`). */
  client: AcmeClient
  /** Solvers in order of preference; the first whose type the CA offers for an authorization is used. */
  solvers: readonly ChallengeSolver[]
  /** Key for the new certificate. Default: a new key of `keyType`. */
  privateKey?: KeyObject
  /** Type of the key generated when `privateKey` is not given. Default `ec256`. */
  keyType?: KeyType
  /** draft-ietf-acme-profiles: the profile to ask for. */
  profile?: string
  /** RFC 9773 §5: the ARI CertID of the certificate this one replaces. */
  replaces?: string
  /** Issuer common name of the preferred chain's root-most certificate (RFC 8555 §7.4.2 alternates). */
  preferredChain?: string
  signal?: AbortSignal
  onProgress?: (event: ObtainProgress) => void
}

export interface ObtainResult {
  /** Leaf followed by its chain (what certbot calls fullchain.pem). */
  certificatePem: string
  privateKey: KeyObject
  privateKeyPem: string
  identifiers: Identifier[]
  orderUrl: string
  certificateUrl: string
  /** The profile the order was created with, when one was asked for. */
  profile?: string
  /** The CertID sent as `replaces`, when the CA accepted it. */
  replaced?: string
  /** Issuer CN of the chosen chain's top certificate. */
  chainIssuer?: string
}

/**
 * Runs the whole RFC 8555 §7.1 flow for one certificate: new order, solve every pending authorization
 * (already valid ones are not solved again), finalize with a CSR, wait, download.
 */
export async function obtain(
  identifiers: Identifier[],
  options: ObtainOptions,
): Promise<ObtainResult> {
  const { client, signal } = options
  checkSolvable(identifiers, options.solvers)
  // Start key generation now: an RSA key can take a second, and it overlaps the validations.
  const keyPromise = options.privateKey
    ? Promise.resolve(options.privateKey)
    : generateKey(options.keyType ?? 'ec256', signal ? { signal } : {})
  keyPromise.catch(() => {})
  const progress = options.onProgress ?? (() => {})

  const { order, replaced } = await newOrder(identifiers, options, progress)
  throwIfAborted(signal)
  let current = order.body
  if (current.status === 'pending') {
    await solveAuthorizations(client, current.authorizations, options.solvers, { signal, progress })
    current = (await client.waitForOrder(order.url, ['ready', 'invalid', 'valid'], opt(signal)))
      .body
  }
  if (current.status === 'invalid') throw orderInvalid(current, order.url)

  const privateKey = await keyPromise
  let started = performance.now()
  if (current.status === 'ready') {
    const csr = await createCsr(
      current.identifiers.length ? current.identifiers : identifiers,
      privateKey,
    )
    await client.finalizeOrder(current.finalize, csr, opt(signal))
    current = (await client.waitForOrder(order.url, ['valid', 'invalid'], opt(signal))).body
  }
  if (current.status !== 'valid' || !current.certificate) throw orderInvalid(current, order.url)
  progress({ step: 'finalize', ms: performance.now() - started })

  started = performance.now()
  const chain = await client.downloadCertificate(current.certificate, {
    ...(options.preferredChain ? { preferredChain: options.preferredChain } : {}),
    ...(signal ? { signal } : {}),
  })
  progress({ step: 'download', ms: performance.now() - started })
  return {
    certificatePem: chain.pem,
    privateKey,
    privateKeyPem: exportPrivateKeyPem(privateKey),
    identifiers,
    orderUrl: order.url,
    certificateUrl: current.certificate,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(replaced ? { replaced } : {}),
    ...(chain.chosenIssuer ? { chainIssuer: chain.chosenIssuer } : {}),
  }
}

/** newOrder, retried once without `replaces` when the CA says it was already replaced (RFC 9773 §5). */
async function newOrder(
  identifiers: Identifier[],
  options: ObtainOptions,
  progress: (e: ObtainProgress) => void,
): Promise<{ order: Awaited<ReturnType<AcmeClient['newOrder']>>; replaced: string | undefined }> {
  const started = performance.now()
  const base = { identifiers, ...(options.profile ? { profile: options.profile } : {}) }
  let replaced = options.replaces
  let order
  try {
    order = await options.client.newOrder(
      replaced ? { ...base, replaces: replaced } : base,
      opt(options.signal),
    )
  } catch (err) {
    if (!replaced || !isAcmeProblem(err, 'alreadyReplaced')) throw err
    progress({
      step: 'replaces-dropped',
      ms: performance.now() - started,
      replaces: replaced,
      reason: err.message,
    })
    replaced = undefined
    order = await options.client.newOrder(base, opt(options.signal))
  }
  progress({
    step: 'order',
    ms: performance.now() - started,
    orderUrl: order.url,
    status: order.body.status,
  })
  return { order, replaced }
}

function orderInvalid(order: OrderResource, url: string): Error {
  const problem = order.error
  if (problem) {
    return new AuthorizationError(
      order.identifiers.map((identifier) => ({
        identifier,
        problem,
        reason: `order ${url} is ${order.status}: ${formatProblem(problem)}`,
      })),
    )
  }
  return new GatehouseError(
    'ERR_ACME_PROTOCOL',
    `order ${url} ended in status ${order.status} without a certificate`,
  )
}

function opt(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {}
}
