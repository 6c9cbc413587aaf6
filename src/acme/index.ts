export { AcmeClient } from './client.js'
export type { CallOptions } from './client.js'
export type { NewAccountRequest, NewOrderRequest } from './requests.js'
export { MAX_ALTERNATE_CHAINS } from './certificate-download.js'
export type { DownloadedCertificate } from './certificate-download.js'
export type { AcmeClientOptions } from './client-options.js'
export { AcmeProblemError, ACME_URN, formatProblem, isAcmeProblem } from './problem.js'
export type { AcmeErrorType } from './problem.js'
export { algorithmFor, exportJwk, jwkThumbprint } from './jwk.js'
export type { JwsAlgorithm, PublicJwk } from './jwk.js'
export { signJws, signExternalAccountBinding } from './jws.js'
export type { FlattenedJws, AcmeProtectedHeader, SignOptions } from './jws.js'
export { keyAuthorization, dns01TxtValue } from './key-authorization.js'
export { parseRetryAfter, parseLinks } from './headers.js'
export type { Link } from './headers.js'
export {
  MAX_BAD_NONCE_RETRIES,
  MAX_RATE_LIMIT_RETRIES,
  MAX_RATE_LIMIT_WAIT_MS,
} from './signed-post.js'
export {
  DEFAULT_POLL_TIMEOUT_MS,
  INITIAL_POLL_INTERVAL_MS,
  MAX_BACKOFF_INTERVAL_MS,
  MAX_POLL_INTERVAL_MS,
  MAX_POLL_ATTEMPTS,
} from './poll.js'
export { certId, certIdFromParts } from './cert-id.js'
export { DEFAULT_ARI_RETRY_MS, MAX_ARI_RETRY_MS, MIN_ARI_RETRY_MS } from './renewal-info.js'
export type * from './types.js'
