import type { Identifier } from '../acme/types.js'
import type { Storage } from '../storage/storage.js'
import { safeKeyPart } from '../storage/keys.js'
import type { ChallengeContext } from './challenge-solver.js'
import { sniName } from './tls-alpn-01-responder.js'

/** Storage folder of pending challenge answers. */
export const CHALLENGES_PREFIX = 'challenges'

/** The challenge types answered on Gatehouse's own listeners. */
export type StoredChallengeType = 'http-01' | 'tls-alpn-01'

/** RFC 8555 §8.3: base64url, at least 128 bits; capped at a storage key part's length. */
const TOKEN = /^[A-Za-z0-9_-]{22,200}$/

/** A pending answer as stored: enough for any process to answer the validator. */
export interface StoredChallenge {
  identifier: Identifier
  keyAuthorization: string
}

/**
 * Pending HTTP-01 and TLS-ALPN-01 answers kept in shared storage, so that whichever process the CA's
 * validator reaches can answer, not only the one that asked for the certificate. Several workers
 * (`--workers N`) or instances behind one address share ports or a load balancer: the validator's
 * connection lands on any of them (certmagic solves the same problem the same way).
 *
 * Keys: `challenges/http-01/<token>` (RFC 8555 §8.3 tokens are base64url, valid key parts as they
 * are) and `challenges/tls-alpn-01/<SNI name>` (RFC 8737 §3). The values hold no secret: a key
 * authorization is what the CA fetches in the clear anyway.
 */
export class ChallengeStore {
  readonly #storage: Storage

  constructor(storage: Storage) {
    this.#storage = storage
  }

  /** Publishes an answer of `type` (before the CA is told to validate). */
  async put(
    type: StoredChallengeType,
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const value: StoredChallenge = {
      identifier: challenge.identifier,
      keyAuthorization: challenge.keyAuthorization,
    }
    await this.#storage.put(keyOf(type, challenge), JSON.stringify(value), options)
  }

  async remove(
    type: StoredChallengeType,
    challenge: ChallengeContext,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#storage.delete(keyOf(type, challenge), options)
  }

  /** The HTTP-01 answer for `token`, if any process has one pending. */
  async http01(token: string): Promise<StoredChallenge | undefined> {
    if (!TOKEN.test(token)) return undefined
    const stored = await this.#read(`${CHALLENGES_PREFIX}/http-01/${token}`)
    // RFC 8555 §8.1: the key authorization begins with the token; anything else is not this answer.
    return stored?.keyAuthorization.startsWith(`${token}.`) ? stored : undefined
  }

  /** The TLS-ALPN-01 answer for an SNI name (a DNS name or an RFC 8738 reverse name). */
  tlsAlpn(servername: string): Promise<StoredChallenge | undefined> {
    const name = servername.toLowerCase().replace(/\.$/, '')
    return this.#read(`${CHALLENGES_PREFIX}/tls-alpn-01/${safeKeyPart(name)}`)
  }

  async #read(key: string): Promise<StoredChallenge | undefined> {
    const bytes = await this.#storage.get(key).catch(() => undefined)
    if (bytes === undefined) return undefined
    try {
      const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<StoredChallenge>
      const id = value.identifier
      if (
        typeof value.keyAuthorization !== 'string' ||
        (id?.type !== 'dns' && id?.type !== 'ip') ||
        typeof id.value !== 'string'
      )
        return undefined
      return {
        identifier: { type: id.type, value: id.value },
        keyAuthorization: value.keyAuthorization,
      }
    } catch {
      // A damaged entry answers nothing; the CA then reports the failed validation.
      return undefined
    }
  }
}

function keyOf(type: StoredChallengeType, challenge: ChallengeContext): string {
  if (type === 'tls-alpn-01')
    return `${CHALLENGES_PREFIX}/${type}/${safeKeyPart(sniName(challenge))}`
  // Tokens are case-sensitive, so they are used as they are (safeKeyPart lower-cases), once checked.
  if (!TOKEN.test(challenge.token))
    throw new TypeError(`ACME token ${JSON.stringify(challenge.token)} is not base64url`)
  return `${CHALLENGES_PREFIX}/${type}/${challenge.token}`
}
