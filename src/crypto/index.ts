export {
  KEY_TYPES,
  isKeyType,
  parseKeyType,
  generateKey,
  keyTypeOf,
  exportPrivateKeyPem,
  importPrivateKeyPem,
} from './keys.js'
export type { KeyType } from './keys.js'
export { pemToDer, derToPem, splitPemChain } from './pem.js'
export { createCsr } from './csr.js'
export { parseCertificate, certificateMatchesKey, coversName } from './certificate.js'
export type { CertificateInfo } from './certificate.js'
export { canonicalIp } from './ip.js'
