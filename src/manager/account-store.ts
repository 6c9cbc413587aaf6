import type { KeyObject } from 'node:crypto'
import { AcmeClient } from '../acme/client.js'
import { isAcmeProblem } from '../acme/problem.js'
import type { Clock } from '../clock.js'
import { exportPrivateKeyPem, generateKey, importPrivateKeyPem } from '../crypto/keys.js'
import type { Storage } from '../storage/storage.js'
import { accountPrefix } from './storage-keys.js'

export interface AccountOptions {
  storage: Storage
  directoryUrl: string
  /** Contact address; also selects which stored account is used (one account per email per CA). */
  email?: string
  /** External Account Binding credentials (RFC 8555 §7.3.4), needed by some CAs for a new account. */
  eab?: { kid: string; hmacKey: string }
  /** Extra PEM roots for the ACME server's HTTPS. */
  caCerts?: string[]
  clock?: Clock
  signal?: AbortSignal
}

interface StoredAccount {
  url: string
  directoryUrl: string
  contact: string[]
  createdAt: string
}

/**
 * An ACME client signed in with this CA's account from storage, creating the key and the account on
 * first use. A stored key without a stored account URL is looked up first (`onlyReturnExisting`,
 * RFC 8555 §7.3.1) so an interrupted first run does not register a second account.
 */
export async function loadOrCreateAccount(options: AccountOptions): Promise<AcmeClient> {
  const { storage, directoryUrl } = options
  const prefix = accountPrefix(directoryUrl, options.email)
  const sig = options.signal ? { signal: options.signal } : {}
  const lock = await storage.lock(`${prefix}/account`, sig)
  try {
    const key = await loadOrCreateKey(storage, `${prefix}/account.key`, options.signal)
    const stored = await readJson<StoredAccount>(storage, `${prefix}/account.json`)
    const client = new AcmeClient({
      directoryUrl,
      accountKey: key,
      ...(stored?.url ? { accountUrl: stored.url } : {}),
      ...(options.caCerts?.length ? { caCerts: options.caCerts } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    })
    if (stored?.url) return client
    const contact = options.email ? [`mailto:${options.email}`] : []
    const account = await client.findAccount(sig).catch(async (err: unknown) => {
      if (!isAcmeProblem(err, 'accountDoesNotExist')) throw err
      return client.newAccount(
        {
          termsOfServiceAgreed: true,
          ...(contact.length ? { contact } : {}),
          ...(options.eab ? { externalAccountBinding: options.eab } : {}),
        },
        sig,
      )
    })
    const record: StoredAccount = {
      url: account.url,
      directoryUrl,
      contact,
      createdAt: new Date().toISOString(),
    }
    await storage.put(`${prefix}/account.json`, JSON.stringify(record, null, 2))
    return client
  } finally {
    await lock.release()
  }
}

async function loadOrCreateKey(
  storage: Storage,
  key: string,
  signal: AbortSignal | undefined,
): Promise<KeyObject> {
  const pem = await storage.get(key)
  if (pem) return importPrivateKeyPem(Buffer.from(pem).toString('utf8'))
  const created = await generateKey('ec256', signal ? { signal } : {})
  await storage.put(key, exportPrivateKeyPem(created), { private: true })
  return created
}

/**
 * The contact email of the only account stored for this CA (undefined when there is none, several,
 * or it has no email), so a later command without `--email` (`certs renew`) signs with the account
 * that obtained the certificates instead of registering a new one.
 */
export async function soleAccountEmail(
  storage: Storage,
  directoryUrl: string,
): Promise<string | undefined> {
  const accounts = await storage.list(
    accountPrefix(directoryUrl, undefined).replace(/\/[^/]+$/, ''),
  )
  if (accounts.length !== 1) return undefined
  const stored = await readJson<StoredAccount>(storage, `${accounts[0] ?? ''}/account.json`)
  const mailto = stored?.contact.find((c) => c.startsWith('mailto:'))
  return mailto?.slice('mailto:'.length)
}

export async function readJson<T>(storage: Storage, key: string): Promise<T | undefined> {
  const raw = await storage.get(key)
  if (!raw) return undefined
  return JSON.parse(Buffer.from(raw).toString('utf8')) as T
}
