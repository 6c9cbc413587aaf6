import { generateKeyPair, createPrivateKey, type KeyObject } from 'node:crypto'
import { AbortedError, GatehouseError, throwIfAborted } from '../errors.js'

/**
 * The certificate key types Gatehouse generates. ECDSA P-256 is the default everywhere: it is what
 * Let's Encrypt and every other public CA accept, and it makes the handshake cheap. RSA stays for
 * old clients that cannot do ECDSA.
 */
export type KeyType = 'ec256' | 'ec384' | 'rsa2048' | 'rsa3072' | 'rsa4096'

/** Every {@link KeyType}, in order of preference. */
export const KEY_TYPES: readonly KeyType[] = Object.freeze([
  'ec256',
  'ec384',
  'rsa2048',
  'rsa3072',
  'rsa4096',
])

/** True when `s` names a {@link KeyType}. */
export function isKeyType(s: unknown): s is KeyType {
  return typeof s === 'string' && (KEY_TYPES as readonly string[]).includes(s)
}

/** Returns `s` as a {@link KeyType}, or throws a RangeError naming the bad value and the valid ones. */
export function parseKeyType(s: string): KeyType {
  if (isKeyType(s)) return s
  throw new RangeError(`unknown key type ${JSON.stringify(s)}; use one of ${KEY_TYPES.join(', ')}`)
}

const CURVES = { ec256: 'P-256', ec384: 'P-384' } as const
const RSA_BITS = { rsa2048: 2048, rsa3072: 3072, rsa4096: 4096 } as const

/**
 * Generates a private key of the given type. Uses the asynchronous `generateKeyPair`, which runs on
 * libuv's thread pool: an RSA 4096 key can take seconds, and a TLS server must keep answering
 * handshakes meanwhile. Key generation itself cannot be interrupted; an abort rejects at once with
 * `ERR_ABORTED` and the key, when it arrives, is dropped.
 */
export async function generateKey(
  type: KeyType,
  options: { signal?: AbortSignal } = {},
): Promise<KeyObject> {
  if (!isKeyType(type)) parseKeyType(String(type))
  const { signal } = options
  throwIfAborted(signal)
  const generated = new Promise<KeyObject>((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, key: KeyObject): void => {
      if (err)
        reject(
          new GatehouseError('ERR_CERTIFICATE', `cannot generate ${type} key: ${err.message}`, {
            cause: err,
          }),
        )
      else resolve(key)
    }
    if (type === 'ec256' || type === 'ec384') {
      generateKeyPair('ec', { namedCurve: CURVES[type] }, done)
    } else {
      generateKeyPair('rsa', { modulusLength: RSA_BITS[type], publicExponent: 0x10001 }, done)
    }
  })
  if (!signal) return generated
  return new Promise<KeyObject>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError(signal.reason))
    signal.addEventListener('abort', onAbort, { once: true })
    generated.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** The {@link KeyType} of a private or public key, or undefined for any other kind or size. */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve === 'prime256v1') return 'ec256'
    if (details?.namedCurve === 'secp384r1') return 'ec384'
    return undefined
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength
    if (bits === 2048) return 'rsa2048'
    if (bits === 3072) return 'rsa3072'
    if (bits === 4096) return 'rsa4096'
  }
  return undefined
}

/** PEM-encodes a private key as PKCS#8 (`BEGIN PRIVATE KEY`), the form every TLS stack reads. */
export function exportPrivateKeyPem(key: KeyObject): string {
  if (key.type !== 'private') {
    throw new TypeError(`exportPrivateKeyPem needs a private key, got a ${key.type} key`)
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/**
 * Reads a PEM private key (PKCS#8, or the older PKCS#1 `RSA PRIVATE KEY` / SEC 1 `EC PRIVATE KEY`
 * that other ACME clients write). Throws `ERR_CERTIFICATE` when the text is not an unencrypted key.
 */
export function importPrivateKeyPem(pem: string): KeyObject {
  if (typeof pem !== 'string')
    throw new TypeError(`importPrivateKeyPem needs a PEM string, got ${typeof pem}`)
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      'not a PEM private key: no "-----BEGIN … PRIVATE KEY-----" block found',
    )
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' })
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new GatehouseError(
      'ERR_CERTIFICATE',
      `cannot read PEM private key (is it encrypted or damaged?): ${why}`,
      {
        cause: err,
      },
    )
  }
}
