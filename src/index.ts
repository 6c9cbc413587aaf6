/**
 * Gatehouse: automatic HTTPS for Node.js. This is the curated public surface; the ACME protocol
 * client alone is also at `gatehouse/acme`.
 */
export { VERSION, USER_AGENT } from './version.js'
export { GatehouseError, AbortedError, RetryExhaustedError, type ErrorCode } from './errors.js'
export { systemClock, type Clock } from './clock.js'

// ACME protocol (RFC 8555 plumbing)
export { AcmeClient, AcmeProblemError, isAcmeProblem } from './acme/index.js'
export type { AcmeClientOptions, AcmeErrorType, Identifier } from './acme/index.js'
export { certId } from './acme/cert-id.js'

// Keys, CSRs, certificates
export {
  KEY_TYPES,
  parseKeyType,
  generateKey,
  exportPrivateKeyPem,
  importPrivateKeyPem,
  createCsr,
  parseCertificate,
  certificateMatchesKey,
  coversName,
  splitPemChain,
  type KeyType,
  type CertificateInfo,
} from './crypto/index.js'

// Issuance (the order flow and challenge solvers)
export {
  obtain,
  type ObtainOptions,
  type ObtainResult,
  type ObtainProgress,
} from './issuance/obtain.js'
export { AuthorizationError, type AuthorizationFailure } from './issuance/authorization-error.js'
export {
  parseIdentifier,
  parseIdentifiers,
  InvalidIdentifierError,
} from './issuance/identifiers.js'
export type {
  ChallengeSolver,
  ChallengeContext,
  ChallengeType,
} from './issuance/challenge-solver.js'
export { Http01StandaloneSolver } from './issuance/http-01-solver.js'
export { Http01Responder } from './issuance/http-01-responder.js'
export { TlsAlpn01StandaloneSolver } from './issuance/tls-alpn-01-solver.js'
export { TlsAlpnResponder, ACME_TLS_ALPN } from './issuance/tls-alpn-01-responder.js'
export { Dns01Solver, type Dns01SolverOptions } from './issuance/dns-01-solver.js'
export * from './issuance/dns/index.js'

// Storage
export * from './storage/index.js'

// Certificate manager and servers
export {
  createServer,
  type AppHandler,
  type CreateServerOptions,
  type GatehouseServer,
} from './server/create-server.js'
export { HttpsServer } from './server/https-server.js'
export type {
  HttpsServerOptions,
  ListenerOptions,
  HstsOptions,
} from './server/https-server-options.js'
export { CertificateCache, type CertEntry, type CertSource } from './tls/certificate-cache.js'
export { CertificateSources, type CertificateLookup } from './server/certificate-sources.js'
export { TLS_PROFILE } from './tls/tls-profile.js'
export { CertificateManager, type ManagedStatus } from './manager/certificate-manager.js'
export type { ManagerEvent } from './manager/manager-events.js'
export type { Issuer, IssuedPair, IssuerRenewalInfo } from './manager/issuer.js'
export { AcmeIssuer } from './manager/acme-issuer.js'
export { LocalCaIssuer } from './manager/local-ca-issuer.js'
export { CertificateFolder, type FolderEvent } from './manager/certificate-folder.js'
export { CertificateFiles, type CertificateFilesOptions } from './manager/certificate-files.js'
export {
  OnDemandIssuance,
  type OnDemandIssuanceOptions,
  type OnDemandOptions,
} from './manager/on-demand.js'
export type { OnDemandDecision } from './manager/on-demand-options.js'
export { stableIpv6Addresses, type StableIpv6Options } from './manager/local-ipv6.js'
export { detectPublicIpv4, type Ipv4Detector } from './manager/public-ipv4.js'
export { jsonLogger, silentLogger, type Logger, type LogFields, type LogLevel } from './logger.js'
export { LocalCa, isLocalName } from './local-ca/index.js'
export { Http01InProcessSolver, TlsAlpn01InProcessSolver } from './issuance/in-process-solvers.js'

// Configuration: gatehouse.toml, GATEHOUSE_* environment and flags.
export { loadConfig, type LoadConfigOptions } from './config/load-config.js'
export { resolveConfig, type ResolveOptions, type ConfigFile } from './config/resolve-config.js'
export { ConfigError } from './config/config-error.js'
export { parseSize } from './config/size.js'
export { parseDuration } from './config/duration.js'
export type { GatehouseConfig, ResolvedConfig, ValueSource } from './config/types.js'
