export {
  LocalCa,
  DEFAULT_LEAF_VALIDITY_DAYS,
  MAX_LEAF_VALIDITY_DAYS,
  ROOT_CERT_KEY,
  ROOT_KEY_KEY,
} from './local-ca.js'
export type { IssueOptions, IssuedCertificate, LocalCaOptions } from './local-ca.js'
export { isLocalName, LOCAL_NAMES_DESCRIPTION } from './name-constraints.js'
export { trust, untrust, trustName } from './trust-store.js'
export type { TrustCommands, TrustStep, TrustStoreOptions } from './trust-store.js'
