import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto'
import { keyTypeOf } from './keys.js'

/**
 * A node:crypto private key turned into the WebCrypto key pair and signature algorithm that
 * @peculiar/x509 needs. Node 20 has no `KeyObject.toCryptoKey`, so the key goes through PKCS#8/SPKI.
 */
export interface WebKeyPair {
  keys: webcrypto.CryptoKeyPair
  /** The algorithm passed to the generator; its hash is the one the certificate says it signs with. */
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams
}

/**
 * RFC 5758 §3.2 pairs the ECDSA hash with the curve size (P-256/SHA-256, P-384/SHA-384); RSA signs
 * with RSASSA-PKCS1-v1_5 and SHA-256 (RFC 4055 §5), which every CA accepts in a CSR.
 */
export async function toWebKeyPair(key: KeyObject): Promise<WebKeyPair> {
  if (key.type !== 'private') throw new TypeError(`a private key is needed, got a ${key.type} key`)
  const type = keyTypeOf(key)
  if (type === undefined) {
    const what = `${key.asymmetricKeyType ?? 'unknown'} ${JSON.stringify(key.asymmetricKeyDetails ?? {})}`
    throw new RangeError(
      `unsupported key (${what}); use an ECDSA P-256/P-384 or RSA 2048/3072/4096 key`,
    )
  }
  const ec = type === 'ec256' || type === 'ec384'
  const importParams: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams = ec
    ? { name: 'ECDSA', namedCurve: type === 'ec256' ? 'P-256' : 'P-384' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams = ec
    ? { name: 'ECDSA', hash: type === 'ec256' ? 'SHA-256' : 'SHA-384' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' })
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  const { subtle } = webcrypto
  const privateKey = await subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign'])
  const publicKey = await subtle.importKey('spki', spki, importParams, true, ['verify'])
  return { keys: { privateKey, publicKey }, signingAlgorithm }
}
